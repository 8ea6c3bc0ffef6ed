// The header's and the home page's search boxes: the top pages as the reader types, in a list
// under the box (a combobox: the arrow keys choose, Enter opens the chosen page or, with none
// chosen, the full results; Escape closes). Pagefind's bundle loads when a box first gets the
// focus, so a page that is only read fetches none of it. Without JavaScript the form goes to
// its action: the service's search page where there is one.
(function () {
  "use strict";
  var SHOWN = 5;
  var loading = null;  // Pagefind's module, shared by the boxes of the page

  // Tell the service (data-report of `element`, where the tenant has one) what a search saw:
  // {query} found nothing, or {query, opened} led to a page, and nothing about the reader. A
  // beacon outlives the page being left; its JSON goes as text/plain, which needs no preflight.
  window.kbgenReport = function (element, report) {
    var address = element.getAttribute("data-report");
    if (!address || !navigator.sendBeacon) return;
    navigator.sendBeacon(address, new Blob([JSON.stringify(report)], { type: "text/plain" }));
  };

  function pagefind(base) {
    if (!loading) {
      loading = import(base + "pagefind/pagefind.js").then(function (module) {
        return Promise.resolve(module.options({ baseUrl: base })).then(function () {
          return module;
        });
      });
      loading.catch(function () { loading = null; });  // tried again on the next key
    }
    return loading;
  }

  // The search page's spelling (assets/spelling.js), fetched the first time a query finds
  // fewer than three pages.
  var spelling = null;
  function speller(base) {
    if (window.kbgenSpelling) return Promise.resolve(window.kbgenSpelling);
    if (!spelling) {
      spelling = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = base + "assets/spelling.js";
        script.onload = function () {
          if (window.kbgenSpelling) resolve(window.kbgenSpelling); else reject();
        };
        script.onerror = reject;
        document.head.appendChild(script);
      });
      spelling.catch(function () { spelling = null; });
    }
    return spelling;
  }

  // The pages a query finds, or those of its corrected spelling: {query, from, pages}.
  function lookup(base, typed) {
    return pagefind(base).then(function (pf) {
      return pf.search(typed).then(function (found) {
        var plain = { query: typed, from: null, found: found };
        if (found.results.length >= 3) return plain;
        return speller(base).then(function (words) {
          return words.suggest(pf, base, typed);
        }).then(function (better) {
          if (!better) return plain;
          return pf.search(better).then(function (again) {
            return { query: better, from: typed, found: again };
          });
        }, function () { return plain; });  // spelling is a help: as typed still works
      });
    }).then(function (answer) {
      var shown = answer.found.results.slice(0, SHOWN);
      return Promise.all(shown.map(function (r) { return r.data(); })).then(function (pages) {
        return { query: answer.query, from: answer.from, pages: pages };
      });
    });
  }

  function combobox(form) {
    var input = form.querySelector("input[type=search]");
    if (!input || !input.id) return;
    var base = form.getAttribute("data-base") || "/";
    var results = form.getAttribute("data-results");
    form.action = results;  // with JavaScript, the static results page answers
    var popup = document.createElement("div");
    popup.className = "search-box-popup";
    popup.hidden = true;
    var note = document.createElement("p");
    note.className = "search-box-note";
    var list = document.createElement("div");
    list.id = input.id + "-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggested pages");
    popup.append(note, list);
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.append(popup, status);
    form.classList.add("search-box");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    var options = [];
    var active = -1;
    var asked = 0;  // the number of the latest lookup: older answers are dropped
    var timer = null;

    function open(yes) {
      popup.hidden = !yes;
      input.setAttribute("aria-expanded", yes ? "true" : "false");
      if (!yes) choose(-1);
    }

    function choose(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }

    function option(href, title, detail, page) {
      var link = document.createElement("a");
      link.id = list.id + "-" + options.length;
      link.href = href;
      link.tabIndex = -1;
      link.setAttribute("role", "option");
      link.setAttribute("aria-selected", "false");
      if (page) link.setAttribute("data-page", "");  // a page of the results, not "All results"
      var name = document.createElement("span");
      name.className = "option-title";
      name.textContent = title;
      link.append(name);
      if (detail) {
        var more = document.createElement("span");
        more.className = "option-detail";
        more.textContent = detail;
        link.append(more);
      }
      options.push(link);
      list.append(link);
    }

    function show(typed, answer) {
      if (!form.contains(document.activeElement)) return;  // the reader left the box meanwhile
      list.textContent = "";
      options = [];
      note.textContent = "";
      if (answer.from) {
        note.append("Showing results for ");
        var word = document.createElement("strong");
        word.textContent = answer.query;
        note.append(word);
      } else if (!answer.pages.length) {
        note.textContent = "No pages match " + typed + ".";
      }
      note.hidden = !note.textContent;
      answer.pages.forEach(function (page) {
        var meta = page.meta || {};
        var category = ((page.filters || {}).category || [])[0];
        var kind = meta.kind ? meta.kind + (category ? " · " + category : "") : "";
        option(page.url, meta.title || page.url, kind, true);
      });
      option(results + "?q=" + encodeURIComponent(typed), "All results for “" + typed + "”", "");
      var found = answer.pages.length;
      status.textContent = (answer.from ? "Showing results for " + answer.query + ". " : "") +
        (found ? found + (found === 1 ? " page" : " pages") + " suggested." : "No pages match.");
      open(true);
      choose(-1);
    }

    input.addEventListener("focus", function () {
      pagefind(base).catch(function () {});
      if (options.length && input.value.trim()) open(true);
    });

    input.addEventListener("input", function () {
      var typed = input.value.trim();
      var mine = ++asked;
      clearTimeout(timer);
      if (!typed) {
        open(false);
        options = [];
        list.textContent = "";
        status.textContent = "";
        return;
      }
      timer = setTimeout(function () {
        lookup(base, typed).then(function (answer) {
          if (mine === asked) show(typed, answer);
        }).catch(function () {
          if (mine === asked) open(false);  // the box still submits to the results page
        });
      }, 120);
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) return;
        event.preventDefault();
        if (popup.hidden) open(true);
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active < 0 ? (step > 0 ? 0 : options.length - 1) : active + step;
        choose(next >= options.length || next < 0 ? -1 : next);  // past either end: the box
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        opened(options[active]);
        window.location.assign(options[active].href);
      } else if (event.key === "Escape" && !popup.hidden) {
        event.preventDefault();
        open(false);
      }
    });

    function opened(link) {
      if (link.hasAttribute("data-page")) {
        window.kbgenReport(form, { query: input.value.trim(), opened: link.pathname });
      }
    }

    // A press on the list keeps the focus in the box; the click then follows the link.
    popup.addEventListener("mousedown", function (event) { event.preventDefault(); });
    popup.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("[role=option]");
      if (link) opened(link);
    });
    form.addEventListener("focusout", function (event) {
      if (!form.contains(event.relatedTarget)) open(false);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-results]"), combobox);
})();
