// "/" takes the operator to the search box from anywhere, as on most sites: to the box on this
// page, or to the home page (whose box is focused on load) when this page has none.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return;
  event.preventDefault();
  const box = document.querySelector("[data-search-box]");
  if (box) {
    box.focus();
    box.select();
  } else {
    window.location.assign("/");
  }
});
