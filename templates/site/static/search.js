// Search page: Pagefind's UI over the static index; ?q= from the header form starts a search.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  var base = box.getAttribute("data-base") || "/";
  var labels = {};  // a result's address -> "FAQ · Billing"
  var typed = "";  // the query as the reader typed it
  var corrected = null;  // {from, to} while the results are those of a corrected query
  var asTyped = {};  // queries the reader asked to search as typed
  var empty = document.getElementById("no-results");
  var reported = {};  // queries already reported as finding nothing
  var settling = null;
  var ui = new PagefindUI({
    element: "#search",
    baseUrl: base,
    bundlePath: base + "pagefind/",
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    autofocus: true,
    processTerm: function (term) {
      if (corrected && term === corrected.to) return term;  // the search spelling asked for
      corrected = null;
      typed = term;
      say();
      if (window.kbgenSpelling && !asTyped[term]) offer(term);
      return term;
    },
    processResult: function (result) {
      var meta = result.meta || {};
      var category = ((result.filters || {}).category || [])[0];
      if (meta.kind) labels[result.url] = meta.kind + (category ? " · " + category : "");
      delete meta.kind;  // else Pagefind's UI lists it again as a tag ("Kind: FAQ")
      return result;
    },
  });
  // How many were found ("6 results for refund", "No results for …"), told to screen readers
  // once the reader stops typing: Pagefind's own line is no live region.
  var found = document.createElement("p");
  found.className = "visually-hidden";
  found.setAttribute("role", "status");
  box.insertAdjacentElement("afterend", found);
  var telling = null;
  // Each result says what it is and where it belongs ("FAQ · Billing"), under its title.
  new MutationObserver(function () {
    var message = box.querySelector(".pagefind-ui__message");
    var count = message ? message.textContent.trim() : "";
    if (count !== found.textContent) {
      clearTimeout(telling);
      telling = setTimeout(function () { found.textContent = count; }, 500);
    }
    box.querySelectorAll(".pagefind-ui__result-inner").forEach(function (inner) {
      var link = inner.querySelector(".pagefind-ui__result-link");
      var text = link && labels[link.getAttribute("href")];
      if (!text || inner.querySelector(".result-kind")) return;
      var label = document.createElement("p");
      label.className = "result-kind";
      label.textContent = text;
      link.parentNode.insertAdjacentElement("afterend", label);
    });
    // A search that found nothing offers popular articles, the categories and support.
    var list = box.querySelector(".pagefind-ui__results");
    var nothing = !!(typed && list && !list.querySelector(".pagefind-ui__result"));
    if (empty) empty.hidden = !nothing;
    // What to write next: a query that still finds nothing once the reader stops typing (the
    // results follow every key, and a word half typed finds nothing) and a correction is tried.
    clearTimeout(settling);
    if (nothing && !reported[typed]) {
      var query = typed;
      settling = setTimeout(function () {
        var now = box.querySelector(".pagefind-ui__results");
        if (typed !== query || !now || now.querySelector(".pagefind-ui__result")) return;
        reported[query] = true;
        tell({ query: query });
      }, 2000);
    }
  }).observe(box, { childList: true, subtree: true });
  // Which page the words led to: the result the reader opens.
  box.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".pagefind-ui__result a[href]");
    if (link && typed) tell({ query: typed, opened: link.pathname });
  });

  function tell(report) {  // search-box.js (loaded on every page, deferred) sends it
    if (window.kbgenReport) window.kbgenReport(box, report);
  }
  // "Showing results for …": under the box, announced to screen readers.
  var spelling = document.createElement("p");
  spelling.className = "search-spelling";
  spelling.setAttribute("role", "status");
  var input = box.querySelector(".pagefind-ui__search-input");
  if (input) input.insertAdjacentElement("afterend", spelling);

  function say() {
    spelling.textContent = "";
    if (!corrected) return;
    var strong = document.createElement("strong");
    strong.textContent = corrected.to;
    var instead = document.createElement("button");
    instead.type = "button";
    instead.className = "link-button";
    instead.textContent = "Search instead for " + corrected.from;
    var from = corrected.from;
    instead.addEventListener("click", function () {
      asTyped[from] = true;
      corrected = null;
      ui.triggerSearch(from);
      if (input) input.focus();  // the button is gone: the reader goes on in the box
    });
    spelling.append("Showing results for ", strong, ". ", instead);
  }

  function offer(term) {
    import(base + "pagefind/pagefind.js").then(function (pagefind) {
      return window.kbgenSpelling.suggest(pagefind, base, term);
    }).then(function (better) {
      // As good as typed, or the reader typed on (or cleared the box) meanwhile.
      if (!better || typed !== term || (input && input.value !== term)) return;
      corrected = { from: term, to: better };
      ui.triggerSearch(better);
      say();
    }).catch(function () {});  // spelling is a help; search as typed still works
  }

  if (input) {
    input.addEventListener("input", function () {
      if (input.value.trim()) return;
      typed = "";  // Pagefind searches nothing for an empty box: nothing to correct either
      if (empty) empty.hidden = true;
      corrected = null;
      say();
    });
  }

  // Pagefind's box has only a title: give it a visible label of its own, as every field has.
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
