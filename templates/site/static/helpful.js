// "Was this article helpful?": the answer goes to the help center's service, which counts it
// for the dashboard. Without this script the question stays hidden.
(function () {
  "use strict";
  var box = document.querySelector(".helpful[data-feedback-url]");
  if (!box || !window.fetch) return;
  var said = box.querySelector(".helpful-said");
  var buttons = box.querySelectorAll("button[data-helpful]");
  box.hidden = false;
  function answer(helpful) {
    buttons.forEach(function (button) { button.disabled = true; });
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
      buttons.forEach(function (button) { button.disabled = false; });
    });
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      answer(button.getAttribute("data-helpful") === "true");
    });
  });
})();
