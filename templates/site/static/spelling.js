// Spelling for the static search, which Pagefind matches only as typed. A word of the query
// that is on few pages of the site is compared with the site's own words of nearby lengths
// (search/words/<length>.json, each loaded once, and only when needed): one edit for words of
// up to five letters, two beyond. The nearest word found on more pages replaces it; words are
// left out while the query finds nothing; the query so corrected is offered when it differs.
window.kbgenSpelling = (function () {
  "use strict";
  var chunks = {};  // length -> promise of {word: pages}

  function chunk(base, length) {
    if (!(length in chunks)) {
      chunks[length] = fetch(base + "search/words/" + length + ".json")
        .then(function (answer) { return answer.ok ? answer.json() : {}; })
        .catch(function () { return {}; });
    }
    return chunks[length];
  }

  // How many pages hold a word, or a longer form of it ("setting" for settings, "integr"
  // while the reader is still typing): Pagefind finds those forms too.
  function known(base, word) {
    var lengths = [0, 1, 2, 3, 4, 5].map(function (more) { return word.length + more; });
    return Promise.all(lengths.map(function (n) { return chunk(base, n); })).then(function (all) {
      var pages = 0;
      all.forEach(function (words) {
        Object.keys(words).forEach(function (other) {
          if (other.indexOf(word) === 0) pages = Math.max(pages, words[other]);
        });
      });
      return pages;
    });
  }

  // Optimal string alignment distance (a swap of neighbours is one edit), given up past limit.
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var rows = [[]], i, j;
    for (j = 0; j <= b.length; j++) rows[0][j] = j;
    for (i = 1; i <= a.length; i++) {
      rows[i] = [i];
      var least = i;
      for (j = 1; j <= b.length; j++) {
        var d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1,
                         rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          d = Math.min(d, rows[i - 2][j - 2] + 1);
        }
        rows[i][j] = d;
        least = Math.min(least, d);
      }
      if (least > limit) return limit + 1;
    }
    return rows[a.length][b.length];
  }

  function neighbour(base, word, pages) {
    var limit = word.length <= 5 ? 1 : 2;
    var lengths = [];
    for (var n = Math.max(3, word.length - limit); n <= word.length + limit; n++) lengths.push(n);
    return Promise.all(lengths.map(function (n) { return chunk(base, n); })).then(function (all) {
      var best = "", bestEdits = limit + 1, bestPages = pages;
      all.forEach(function (words) {
        Object.keys(words).forEach(function (other) {
          if (words[other] <= pages) return;  // found on no more pages than the word itself
          // "refunds" for "refund": Pagefind finds both forms of a word already.
          if (other.indexOf(word) === 0 || word.indexOf(other) === 0) return;
          var edits = distance(word, other, limit);
          if (edits > limit) return;
          if (edits < bestEdits || (edits === bestEdits && words[other] > bestPages)) {
            best = other; bestEdits = edits; bestPages = words[other];
          }
        });
      });
      return best;
    });
  }

  // Resolve to the corrected query, or "" when the query as typed is as good. A word on no page
  // of the site is corrected; one on a page or two only when the query as typed finds fewer
  // than three pages (a rare word may be the right one: "saml"), and then the correction must
  // find more.
  function suggest(pagefind, base, query) {
    // Composed, as the site's words are counted: "é" typed as "e" and an accent is one letter.
    var words = query.normalize("NFC").toLowerCase().split(/\s+/).filter(Boolean);
    var typed = 0, unknown = false;
    return pagefind.search(query).then(function (found) {
      typed = found.results.length;
      return Promise.all(words.map(function (word) {
        if (word.length < 3 || !/^\p{L}+$/u.test(word)) return word;  // letters only
        return known(base, word).then(function (pages) {
          if (pages >= 3 || (pages > 0 && typed >= 3)) return word;
          return neighbour(base, word, pages).then(function (better) {
            unknown = unknown || (better !== "" && pages === 0);
            return better || word;
          });
        });
      }));
    }).then(function (fixed) {
      return widen(pagefind, fixed);
    }).then(function (better) {
      if (!better || better === words.join(" ")) return "";
      if (unknown) return better;
      return pagefind.search(better).then(function (found) {
        return found.results.length > typed ? better : "";
      });
    });
  }

  // Pagefind finds the pages holding every word: a sentence ("my deployment failed what do i
  // do") often has none. While nothing is found, leave out the word whose absence finds most.
  function widen(pagefind, words) {
    var query = words.join(" ");
    return pagefind.search(query).then(function (found) {
      if (found.results.length || words.length < 2) return found.results.length ? query : "";
      var fewer = words.map(function (_word, i) {
        return words.slice(0, i).concat(words.slice(i + 1));
      });
      return Promise.all(fewer.map(function (rest) {
        return pagefind.search(rest.join(" "));
      })).then(function (all) {
        var best = 0;
        all.forEach(function (one, i) {
          if (one.results.length > all[best].results.length) best = i;
        });
        return widen(pagefind, fewer[best]);
      });
    });
  }

  return { suggest: suggest, distance: distance };
})();
