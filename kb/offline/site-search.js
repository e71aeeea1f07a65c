// The offline copy's search: Pagefind's UI over the index `export_site` built beside this file.
// Works from any folder of any static host; `?q=` (the search box of every page) searches at once.
const siteRoot = new URL(".", document.currentScript.src);
window.addEventListener("DOMContentLoaded", () => {
  const ui = new PagefindUI({
    element: "#offline-search",
    showSubResults: true,
    showImages: false,
    baseUrl: siteRoot.pathname,
    bundlePath: new URL("pagefind/", siteRoot).pathname,
  });
  const query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
});
