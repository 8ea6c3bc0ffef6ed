// The FAQ page: each answer folds under its question; the one a link leads to (the question,
// or a heading inside its answer) opens in place.
(function () {
  "use strict";
  function reveal() {
    var id;
    try {
      id = decodeURIComponent(window.location.hash.slice(1));
    } catch (error) {  // a malformed address ("#100%") leads nowhere
      return;
    }
    var target = id ? document.getElementById(id) : null;
    var item = target ? target.closest("details.faq-item") : null;
    if (!item) return;
    item.open = true;
    target.scrollIntoView();
  }
  document.querySelectorAll("details.faq-item").forEach(function (item) { item.open = false; });
  reveal();
  window.addEventListener("hashchange", reveal);
})();
