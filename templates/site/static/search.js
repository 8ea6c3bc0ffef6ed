// Search page: Pagefind's UI over the static index; ?q= from the header form starts a search.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  var base = box.getAttribute("data-base") || "/";
  var ui = new PagefindUI({
    element: "#search",
    baseUrl: base,
    bundlePath: base + "pagefind/",
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    autofocus: true,
  });
  // Pagefind's box has only a title: give it a visible label of its own, as every field has.
  var input = box.querySelector(".pagefind-ui__search-input");
  if (input && !input.id) {
    input.id = "search-input";
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.className = "search-label";
    label.textContent = "Search articles and FAQs";
    box.insertBefore(label, box.firstChild);
  }
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
