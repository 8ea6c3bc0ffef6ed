// Phones: the header's categories (and Contact support) fold behind a Menu button; without
// JavaScript, or on a wide screen, they show as they are.
(function () {
  "use strict";
  var header = document.querySelector(".site-header");
  var button = header && header.querySelector(".menu-button");
  var nav = header && header.querySelector(".categories-nav");
  if (!button || !nav) return;

  function show(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  }

  header.classList.add("has-menu");
  button.hidden = false;
  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  header.addEventListener("keydown", function (event) {
    // (an Escape that closed a search box's list was that box's)
    if (event.key === "Escape" && !event.defaultPrevented && nav.classList.contains("open")) {
      show(false);
      button.focus();
    }
  });
})();
