// Ticket form: while the customer types a subject, show up to five matching articles and FAQs,
// and tell the service which one they open (a visit that never sends a ticket was deflected).
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url]");
  if (!form || !window.fetch) return;
  var subject = form.querySelector("#subject");
  var box = document.getElementById("suggestions");
  var list = box && box.querySelector("ul");
  var visit = form.querySelector("#visit_id");
  var csrf = form.querySelector("#csrf_token");
  if (!subject || !list) return;
  var timer = null;
  var last = "";

  function render(items) {
    list.textContent = "";
    items.slice(0, 5).forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = item.title;
      a.dataset.kind = item.kind;
      a.dataset.slug = item.slug;
      li.appendChild(a);
      if (item.summary || item.snippet) {
        var p = document.createElement("p");
        p.textContent = item.summary || item.snippet;
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }

  function lookup() {
    var q = subject.value.trim();
    if (q === last) return;
    last = q;
    if (q.length < 3) { render([]); return; }
    var url = form.dataset.suggestUrl + "?q=" + encodeURIComponent(q);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) { if (q === last) render(data.suggestions || []); })
      .catch(function () { render([]); });
  }

  subject.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 250);
  });
  if (subject.value) lookup();

  function opened(link) {
    if (!visit || !visit.value) return;
    var data = new FormData();
    data.append("visit_id", visit.value);
    data.append("kind", link.dataset.kind);
    data.append("slug", link.dataset.slug);
    if (csrf) data.append("csrf_token", csrf.value);
    if (navigator.sendBeacon && navigator.sendBeacon(form.dataset.openedUrl, data)) return;
    fetch(form.dataset.openedUrl, { method: "POST", body: data, credentials: "same-origin", keepalive: true });
  }

  list.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-slug]");
    if (link) opened(link);
  });
  list.addEventListener("auxclick", function (event) {
    var link = event.target.closest("a[data-slug]");
    if (link) opened(link);
  });
})();
