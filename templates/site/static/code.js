// Code blocks: a button that copies the code, for readers who paste it into a terminal.
(function () {
  "use strict";
  if (!navigator.clipboard) return;  // only secure pages may write to the clipboard
  document.querySelectorAll("pre.highlight").forEach(function (pre) {
    var block = document.createElement("div");
    block.className = "code-block";
    pre.parentNode.insertBefore(block, pre);
    block.appendChild(pre);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    var label = pre.getAttribute("data-label");
    button.setAttribute("aria-label", label ? "Copy the " + label + " code" : "Copy the code");
    var said = document.createElement("span");
    said.className = "visually-hidden";
    said.setAttribute("role", "status");
    block.appendChild(button);
    block.appendChild(said);
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent).then(function () {
        button.textContent = "Copied";
        said.textContent = "Copied to the clipboard.";
      }, function () {
        said.textContent = "The code could not be copied; select it instead.";
      });
      setTimeout(function () { button.textContent = "Copy"; said.textContent = ""; }, 3000);
    });
  });
})();
