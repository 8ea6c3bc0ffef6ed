// "Was this article helpful?": the answer goes to the help center's service, which counts it
// for the dashboard. Without this script the question stays hidden.
(function () {
  "use strict";
  var box = document.querySelector(".helpful[data-feedback-url]");
  if (!box || !window.fetch) return;
  var said = box.querySelector(".helpful-said");
  var buttons = box.querySelectorAll("button[data-helpful]");
  box.hidden = false;
  var sent = false;
  // Answered once: the buttons say so (aria-disabled, the chosen one pressed) but stay
  // focusable, so the keyboard's focus stays where the reader left it (disabled, it fell out).
  function mark(chosen) {
    buttons.forEach(function (button) {
      if (chosen) {
        button.setAttribute("aria-disabled", "true");
        button.setAttribute("aria-pressed", String(button === chosen));
      } else {
        button.removeAttribute("aria-disabled");
        button.removeAttribute("aria-pressed");
      }
    });
  }
  // One answer per article and browser: a reload shows the answer given, rather than
  // asking again (and counting twice).
  var KEY = "kb-helpful:" + window.location.pathname;
  function remember(value) {
    try {
      if (value === null) window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, value);
    } catch (e) { /* no storage: the question is asked again after a reload */ }
  }
  var given = null;
  try { given = window.localStorage.getItem(KEY); } catch (e) { given = null; }
  if (given === "yes" || given === "no") {
    sent = true;
    buttons.forEach(function (button) {
      if ((button.getAttribute("data-helpful") === "true") === (given === "yes")) mark(button);
    });
    said.textContent = "You told us whether this article helped: thank you.";
  }
  function answer(helpful, chosen) {
    if (sent) return;
    sent = true;
    mark(chosen);
    remember(helpful ? "yes" : "no");
    fetch(box.getAttribute("data-feedback-url"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ helpful: helpful }),
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      said.textContent = helpful
        ? "Thanks for letting us know."
        : "Thanks for letting us know. If you still need help, contact support below.";
    }).catch(function () {
      said.textContent = "Your answer could not be sent. Please try again later.";
      sent = false;
      mark(null);
      remember(null);
    });
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      answer(button.getAttribute("data-helpful") === "true", button);
    });
  });
})();
