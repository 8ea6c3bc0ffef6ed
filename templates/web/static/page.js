// Every customer page: a sent form's error summary takes the focus, so keyboard and screen
// reader users start at the list of what to correct; stored times (UTC in the page) read
// as "2 hours ago" in the reader's time zone, the exact local time on hover (or, marked
// data-local, as that local time).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // A form is sent once: a second click (or Enter) while the first is on its way would open
  // a second ticket or send a reply twice. Ten seconds on, or back on the page, it sends again.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    if (form.method.toLowerCase() !== "post") return;
    var now = Date.now();
    var sent = Number(form.getAttribute("data-sent") || 0);
    if (now - sent < 10000) { event.preventDefault(); return; }
    form.setAttribute("data-sent", String(now));
  });
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-sent]");
    for (var f = 0; f < forms.length; f++) forms[f].removeAttribute("data-sent");
  });

  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
               ["hour", 3600], ["minute", 60]];
  if (!window.Intl || !Intl.RelativeTimeFormat) return;
  var lang = document.documentElement.lang || undefined;
  var relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  // dateStyle/timeStyle cannot be combined with timeZoneName: the parts are named instead.
  var exact = new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric",
                                              hour: "numeric", minute: "2-digit",
                                              timeZoneName: "short" });
  var times = document.querySelectorAll("time[data-relative]");
  var local = document.querySelectorAll("time[data-local]");
  for (var j = 0; j < local.length; j++) {
    var moment = new Date(local[j].getAttribute("datetime"));
    if (!isNaN(moment.getTime())) local[j].textContent = exact.format(moment);
  }

  function say(element) {
    var at = new Date(element.getAttribute("datetime"));
    if (isNaN(at.getTime())) return;
    var seconds = (at.getTime() - Date.now()) / 1000;
    var text = relative.format(0, "second");  // "now"
    for (var i = 0; i < UNITS.length; i++) {
      if (Math.abs(seconds) >= UNITS[i][1]) {
        text = relative.format(Math.trunc(seconds / UNITS[i][1]), UNITS[i][0]);  // 45 days: 1 month
        break;
      }
    }
    element.textContent = text;
    element.title = exact.format(at);
  }

  function sayAll() { for (var i = 0; i < times.length; i++) say(times[i]); }
  sayAll();
  if (times.length) window.setInterval(sayAll, 60000);
})();
