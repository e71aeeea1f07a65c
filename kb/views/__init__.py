"""Views, one module per area of the site. Each view is thin: fetch, validate, call the domain module, render."""
