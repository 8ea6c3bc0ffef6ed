// Ticket page: when the ticket changes (a reply, a new status), say so and offer a reload.
// The page never reloads by itself: the customer may be typing a reply. The notice goes into
// a live region that is on the page from the start, so screen readers announce it. What the
// customer was typing survives the reload they ask for (kept for this tab only).
(function () {
  "use strict";
  var DRAFT = "ticket-draft:" + window.location.pathname;
  function texts() { return document.querySelectorAll("form textarea[name]"); }
  function store() { try { return window.sessionStorage; } catch (e) { return null; } }

  var kept = store();
  if (kept) {
    var draft = null;
    try { draft = JSON.parse(kept.getItem(DRAFT) || "null"); } catch (e) { draft = null; }
    kept.removeItem(DRAFT);
    if (draft) {
      Array.prototype.forEach.call(texts(), function (field) {
        if (!field.value && typeof draft[field.name] === "string") field.value = draft[field.name];
      });
    }
  }

  // Back from sending a reply (the page's address names it): the keyboard and the screen
  // reader start at the reply, which says it was sent, rather than at the page's top.
  var sent = /^#reply-\d+$/.test(window.location.hash) &&
    document.getElementById(window.location.hash.slice(1));
  if (sent && !document.getElementById("error-summary")) sent.focus();

  var thread = document.querySelector("[data-events-url]");
  var region = document.getElementById("ticket-updated");
  if (!thread || !region || !window.EventSource) return;
  var source = new EventSource(thread.getAttribute("data-events-url"));
  source.addEventListener("ticket.updated", function () {
    if (region.firstChild) return;
    var note = document.createElement("p");
    note.className = "notice";
    note.textContent = "This request has been updated. ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Show the update";
    button.addEventListener("click", function () {
      var typed = {};
      Array.prototype.forEach.call(texts(), function (field) {
        if (field.value) typed[field.name] = field.value;
      });
      var target = store();
      if (target) { try { target.setItem(DRAFT, JSON.stringify(typed)); } catch (e) { /* full */ } }
      window.location.reload();
    });
    note.appendChild(button);
    region.appendChild(note);
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
