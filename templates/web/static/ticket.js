// Ticket page: when the ticket changes (a reply, a new status), say so and offer a reload.
// The page never reloads by itself: the customer may be typing a reply. The notice goes into
// a live region that is on the page from the start, so screen readers announce it.
(function () {
  "use strict";
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
    button.addEventListener("click", function () { window.location.reload(); });
    note.appendChild(button);
    region.appendChild(note);
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
