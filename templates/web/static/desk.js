// The desk in the browser: presence, live updates, keyboard shortcuts, article links.
// Everything here is an extra: every page works without JavaScript.
(function () {
  "use strict";
  var body = document.body;
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var live = document.getElementById("desk-live");
  var ticketId = body.getAttribute("data-ticket-id");
  ticketId = ticketId ? parseInt(ticketId, 10) : null;

  function say(text) { if (live) { live.textContent = ""; live.textContent = text; } }

  // A form sent back: start at its list of what to correct; an action done: at what it did.
  var summary = document.getElementById("error-summary") || document.getElementById("desk-done");
  if (summary) summary.focus();

  // Presence: online or away on every page, viewing or typing on a ticket's page.
  var presenceUrl = body.getAttribute("data-presence-url");
  var lastTyping = 0;
  function announce(state) {
    if (!presenceUrl || !window.fetch || !csrf) return;
    fetch(presenceUrl, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf.content},
      body: JSON.stringify({state: state, ticket_id: ticketId})}).catch(function () {});
  }
  // A page being left turns hidden too: its "away" could reach the service after the next
  // page's "online" and mark the agent away until the next beat. Away is said only for a tab
  // still hidden a second later (a page left runs no more timers).
  var awayTimer = 0;
  function heartbeat() {
    clearTimeout(awayTimer);
    if (document.visibilityState === "hidden") awayTimer = setTimeout(function () { announce("away"); }, 1000);
    else announce(ticketId ? "viewing" : "online");
  }
  if (presenceUrl) {
    heartbeat();
    setInterval(heartbeat, 15000);
    document.addEventListener("visibilitychange", heartbeat);
  }
  var replyBody = document.getElementById("body") || document.getElementById("text");  // a ticket's or a chat's

  // A reply being written survives leaving the page any other way than sending it (saving
  // the details, inserting a saved reply, searching articles, a sign-out): kept for this tab
  // and put back when the page shows again, before a saved reply inserted meanwhile.
  var DRAFT = "desk-draft:" + window.location.pathname;
  var drafts = null;
  try { drafts = window.sessionStorage; } catch (e) { drafts = null; }
  if (replyBody && drafts) {
    var draft = drafts.getItem(DRAFT);
    drafts.removeItem(DRAFT);
    if (draft && replyBody.value !== draft) {
      replyBody.value = replyBody.value ? draft + "\n\n" + replyBody.value : draft;
    }
    var sending = false;
    if (replyBody.form) {
      replyBody.form.addEventListener("submit", function (event) {
        sending = true;  // leaving the page with it: no draft to keep
        // A chat's message is sent without leaving (its handler prevents the page's load).
        setTimeout(function () { if (event.defaultPrevented) sending = false; }, 0);
      });
    }
    window.addEventListener("pagehide", function () {
      if (!sending && replyBody.value.trim()) {
        try { drafts.setItem(DRAFT, replyBody.value); } catch (e) { /* full: nothing kept */ }
      }
    });
  }
  if (replyBody && ticketId) {
    replyBody.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping > 3000) { lastTyping = now; announce("typing"); }
    });
  }

  // A chat's page: new messages appended after the last one shown (so a reconnect leaves no
  // gap and no duplicate), sending without a reload, typing and read marks both ways.
  var chatId = body.getAttribute("data-chat-id");
  var chatLog = document.querySelector("#chat-log ol");
  if (chatLog) chatLog.parentNode.scrollTop = chatLog.parentNode.scrollHeight;  // the latest
  var chatStatus = document.getElementById("chat-status");
  var lastId = parseInt(body.getAttribute("data-last-id") || "0", 10);
  var customerTyping = null, fetching = false, fetchAgain = false;
  function post(url, data) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf.content},
      body: JSON.stringify(data)});
  }
  function showMessage(msg) {
    var li = document.createElement("li");
    li.className = "message from-" + msg.author;
    li.setAttribute("data-id", msg.id);
    if (msg.author !== "system") {
      var meta = document.createElement("p");
      meta.className = "meta";
      var time = document.createElement("time");
      time.dateTime = msg.at; time.textContent = msg.at.slice(11, 16);
      meta.appendChild(document.createTextNode(msg.name + " · "));
      meta.appendChild(time);
      li.appendChild(meta);
    }
    if (msg.file) {
      var p = document.createElement("p");
      if (msg.kind === "image") {
        var img = document.createElement("img");
        img.className = "preview"; img.src = msg.file.url; img.alt = msg.file.name;
        p.appendChild(img);
      }
      var a = document.createElement("a");
      a.href = msg.file.url; a.textContent = msg.file.name;
      p.appendChild(a);
      li.appendChild(p);
    } else {
      var text = document.createElement("div");
      text.className = "body"; text.dir = "auto"; text.textContent = msg.text;
      li.appendChild(text);
    }
    chatLog.appendChild(li);
    chatLog.parentNode.scrollTop = chatLog.parentNode.scrollHeight;
  }
  function markRead() {
    if (document.visibilityState !== "hidden" && lastId > 0) {
      post(body.getAttribute("data-chat-read"), {up_to: lastId}).catch(function () {});
    }
  }
  function fetchMessages() {
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    fetch(body.getAttribute("data-chat-messages") + "?after=" + lastId, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var fromCustomer = false;
        data.messages.forEach(function (msg) {
          if (msg.id <= lastId) return;
          showMessage(msg);
          lastId = msg.id;
          if (msg.author === "customer") fromCustomer = true;
        });
        if (data.more) fetchAgain = true;  // a long history comes page by page
        if (fromCustomer) { customerTyping = null; setChatStatus(""); markRead(); }
        if (data.status !== "active") {
          ["reply", "chat-actions"].forEach(function (id) {  // nothing more to send or do
            var part = document.getElementById(id);
            if (part) part.hidden = true;
          });
          setChatStatus("The chat has ended.");
        }
      })
      .catch(function () {})
      .then(function () { fetching = false; if (fetchAgain) { fetchAgain = false; fetchMessages(); } });
  }
  function setChatStatus(text) {
    if (chatStatus && chatStatus.textContent !== text) chatStatus.textContent = text;
  }
  function chatEvents(source) {
    source.addEventListener("open", fetchMessages);  // after a reconnect: whatever was missed
    ["message", "session"].forEach(function (what) {
      source.addEventListener("chat." + chatId + "." + what, fetchMessages);
    });
    source.addEventListener("chat." + chatId + ".typing", function (e) {
      var data = JSON.parse(e.data);
      if (data.who !== "customer") return;
      customerTyping = Date.now();
      setChatStatus("The customer is typing…");
      setTimeout(function () {  // the typing line goes; any other news stays
        if (customerTyping && Date.now() - customerTyping >= 5000) {
          customerTyping = null;
          if (chatStatus && chatStatus.textContent === "The customer is typing…") setChatStatus("");
        }
      }, 5100);
    });
    source.addEventListener("chat." + chatId + ".read", function (e) {
      var data = JSON.parse(e.data);
      if (data.by === "customer" && data.up_to >= lastId) setChatStatus("Read by the customer.");
    });
    document.addEventListener("visibilitychange", markRead);
    markRead();
  }
  var chatForm = document.getElementById("reply");
  var chatText = document.getElementById("text");
  if (chatId && chatForm && chatText && window.fetch && csrf) {
    var lastChatTyping = 0;
    chatText.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastChatTyping > 3000) {
        lastChatTyping = now;
        post(body.getAttribute("data-chat-typing"), {}).catch(function () {});
      }
    });
    chatText.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); chatForm.requestSubmit(); }
    });
    chatForm.addEventListener("submit", function (e) {
      lastChatTyping = 0;  // the message ends this typing: the next keystroke is news
      if (!chatText.value.trim()) return;  // the server's error message explains
      e.preventDefault();
      var sent = chatText.value, data = new FormData(chatForm);
      chatText.value = "";
      fetch(chatForm.action, {method: "POST", credentials: "same-origin", body: data,
        headers: {"X-Requested-With": "fetch", "X-CSRFToken": csrf.content}})
        .then(function (r) {
          if (r.status === 201) { fetchMessages(); return; }
          chatText.value = sent;
          // The server's reason (too long, someone else took the chat, it ended) when it gave one.
          return r.json().then(function (data) { return data.error.message; },
                               function () { return "The message was not sent: try again."; })
            .then(function (reason) { setChatStatus(reason); });
        })
        .catch(function () { chatText.value = sent; setChatStatus("The message was not sent: check your connection."); });
    });
  }

  // The menu's count of customers waiting in a chat, kept live on every page with a stream;
  // one more is said (politely) and shown in the tab's title, so an agent elsewhere hears it.
  var chatsLink = document.querySelector('.desk-nav a[href$="/chats"]');
  var baseTitle = document.title;
  var shownBadge = chatsLink && chatsLink.querySelector(".badge");
  var waitingNow = shownBadge ? parseInt(shownBadge.textContent, 10) || 0 : 0;
  function showWaiting(count) {
    var badge = chatsLink.querySelector(".badge");
    if (!count) { if (badge) badge.remove(); }
    else {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge";
        chatsLink.appendChild(document.createTextNode(" "));
        chatsLink.appendChild(badge);
      }
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden"; hidden.textContent = " waiting";
      badge.textContent = String(count);
      badge.appendChild(hidden);
    }
    document.title = count ? "(" + count + ") " + baseTitle : baseTitle;
  }
  function updateWaiting() {
    if (!chatsLink) return;
    fetch(chatsLink.getAttribute("href") + "/waiting.json", {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || typeof data.waiting !== "number") return;
        if (data.waiting > waitingNow) {
          say(data.waiting === 1 ? "A customer is waiting in a chat." :
              data.waiting + " customers are waiting in chats.");
        }
        waitingNow = data.waiting;
        showWaiting(waitingNow);
      })
      .catch(function () {});
  }
  if (chatsLink && waitingNow) showWaiting(waitingNow);
  var waitingTimer = null;

  // A chat a colleague handed to this agent: said, and linked at the page's top.
  function handedToMe(e) {
    var data = {};
    try { data = JSON.parse(e.data); } catch (err) { return; }
    if (String(data.handed_to) !== body.getAttribute("data-agent-id") || !chatsLink) return;
    var main = document.getElementById("main"), note = document.createElement("p");
    var link = document.createElement("a");
    note.className = "notice";
    link.href = chatsLink.getAttribute("href") + "/" + encodeURIComponent(data.session_id);
    link.textContent = "Open the chat";
    note.appendChild(document.createTextNode(data.note + " "));
    note.appendChild(link);
    if (main) main.insertBefore(note, main.firstChild);
    say(data.note);
  }

  // Live updates over server-sent events.
  var streamUrl = body.getAttribute("data-stream-url");
  // Who else has the ticket open: seeded from the page, kept from presence events; an entry
  // lapses after 35 s without news. The warning that the ticket changed stays once shown.
  var others = {}, stale = "";  // what changed the ticket since the page was loaded
  // What a change says on the ticket's page (any other: that it changed); a reload keeps
  // the reply being written (see DRAFT above).
  var STALE = {
    replied: "A new message came on this ticket: reload to read it (what you are writing is kept).",
    note: "A colleague added a note to this ticket: reload to read it (what you are writing is kept).",
    merged: "This ticket was merged: reload to see where it went."
  };
  var viewersBox = document.getElementById("viewers");
  if (viewersBox && viewersBox.getAttribute("data-viewers")) {
    JSON.parse(viewersBox.getAttribute("data-viewers")).forEach(function (v) {
      others[v.name] = {state: v.state === "typing" ? "typing in" : "viewing", at: Date.now()};
    });
  }
  function showViewers() {
    if (!viewersBox) return;
    var now = Date.now(), parts = [];
    Object.keys(others).sort().forEach(function (name) {
      if (now - others[name].at > 35000) { delete others[name]; return; }
      parts.push(name + " is " + others[name].state + " this ticket.");
    });
    if (stale) parts.push(STALE[stale] || "This ticket changed since you opened it: reload before saving.");
    var text = parts.join(" ");
    if (viewersBox.textContent !== text) viewersBox.textContent = text;  // no repeats read out
  }
  var refreshTimer = null;
  var rowsId = body.getAttribute("data-rows-target") || "queue-rows";
  // The rows are replaced only while the agent is not among them: ticked rows, or the
  // keyboard's focus on one (replacing them dropped it to the page's top), wait for a reload.
  // Presence alone (who views what) is not worth announcing.
  function refreshRows(announce) {
    var rows = document.getElementById(rowsId);
    var busy = rows && (rows.querySelector('input[type="checkbox"]:checked') ||
                        rows.contains(document.activeElement));
    if (!rows || busy) {
      var news = document.getElementById("queue-news");
      if (news && announce) { news.hidden = false; news.textContent = "Tickets changed: reload the queue to see them."; }
      return;
    }
    fetch(body.getAttribute("data-rows-url"), {credentials: "same-origin",
      headers: {"X-Desk-Fragment": "rows"}}).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null || rows.contains(document.activeElement)) return;  // moved in meanwhile
        rows.innerHTML = html;
        if (current >= 0) highlight(current);
        if (announce) say(rowsId === "queue-rows" ? "The queue was updated." : "The chats were updated.");
      })
      .catch(function () {});
  }
  if (streamUrl && window.EventSource) {
    var source = new EventSource(streamUrl);
    // Whether live updates flow (read by the browser tests before they count on them).
    source.addEventListener("open", function () { document.body.setAttribute("data-live", "on"); });
    source.addEventListener("error", function () { document.body.setAttribute("data-live", "off"); });
    source.addEventListener("signed-out", function () { source.close(); window.location.reload(); });
    ["ticket.created", "ticket.updated"].forEach(function (topic) {
      source.addEventListener(topic, function (e) {
        if (ticketId) {
          var what = "";
          try { what = JSON.parse(e.data).what || ""; } catch (err) { what = ""; }
          // The first news stays named; a later one of another kind is news of a change.
          stale = !stale || stale === what ? (what || "changed") : "changed";
          showViewers();
        } else {
          clearTimeout(refreshTimer);
          refreshTimer = setTimeout(function () { refreshRows(true); }, 500);
        }
      });
    });
    ["presence.viewing", "presence.typing"].forEach(function (topic) {
      source.addEventListener(topic, function (e) {
        var data = JSON.parse(e.data);
        if (ticketId) {
          others[data.name] = {state: topic === "presence.typing" ? "typing in" : "viewing", at: Date.now()};
          showViewers();
        } else {
          clearTimeout(refreshTimer);
          refreshTimer = setTimeout(function () { refreshRows(false); }, 1000);
        }
      });
    });
    source.addEventListener("chat.inbox", function (e) {
      handedToMe(e);
      clearTimeout(waitingTimer);  // a burst of news (a chat joined and ended) asks once
      waitingTimer = setTimeout(updateWaiting, 400);
      if (rowsId !== "chat-lists") return;  // the chats' own page shows them in its lists too
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(function () { refreshRows(true); }, 300);
    });
    if (chatId) chatEvents(source);
    setInterval(showViewers, 5000);
    window.addEventListener("pagehide", function () { source.close(); });
  }

  // Article search while typing; "Insert link" puts the title and address into the reply.
  var kbUrl = body.getAttribute("data-kb-url");
  var kbInput = document.getElementById("kbq");
  var kbList = document.getElementById("kb-results");
  var kbTimer = null;
  function insert(text) {
    if (!replyBody) return;
    var start = replyBody.selectionStart || replyBody.value.length;
    var before = replyBody.value.slice(0, start);
    // Its own line, not glued to the sentence before it.
    var gap = before && !/\s$/.test(before) ? "\n" : "";
    replyBody.value = before + gap + text + replyBody.value.slice(start);
    replyBody.focus();
    say("Link inserted.");
  }
  if (kbUrl && kbInput && kbList && window.fetch) {
    kbInput.addEventListener("input", function () {
      clearTimeout(kbTimer);
      kbTimer = setTimeout(function () {
        var q = kbInput.value.trim();
        if (q.length < 2) { kbList.textContent = ""; return; }
        fetch(kbUrl + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (data) {
            kbList.textContent = "";
            data.results.forEach(function (hit) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = hit.url; a.textContent = hit.title; a.target = "_blank"; a.rel = "noopener";
              var button = document.createElement("button");
              button.type = "button"; button.className = "secondary";
              button.textContent = "Insert link";
              button.setAttribute("aria-label", "Insert a link to " + hit.title);
              button.addEventListener("click", function () { insert(hit.title + ": " + hit.url); });
              li.appendChild(a); li.appendChild(document.createTextNode(" ")); li.appendChild(button);
              kbList.appendChild(li);
            });
            say(data.results.length + " articles found.");
          }).catch(function () {});
      }, 250);
    });
  }

  // Keyboard shortcuts (listed on "?"); never while typing in a field.
  var dialog = document.getElementById("shortcuts");
  var opener = document.getElementById("shortcuts-open");
  if (opener && dialog && dialog.showModal) opener.addEventListener("click", function () { dialog.showModal(); });
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("#queue-rows tr[data-href]")); };
  var current = -1, pending = "";
  function highlight(index) {
    var all = rows();
    if (!all.length) return null;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    return all[current];
  }
  function mark(index) {
    var row = highlight(index);
    var link = row && row.querySelector("a");
    if (link) link.focus();
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    var key = pending + e.key;
    pending = "";
    if (key === "?" && dialog && dialog.showModal) { e.preventDefault(); dialog.showModal(); }
    else if (key === "g") { pending = "g"; }
    else if (key === "gq") { window.location.href = document.querySelector('a[data-key="g q"]').href; }
    else if (key === "j") { e.preventDefault(); mark(current + 1); }
    else if (key === "k") { e.preventDefault(); mark(current - 1); }
    else if ((key === "o" || key === "Enter") && current >= 0) { window.location.href = rows()[current].getAttribute("data-href"); }
    else if (key === "x" && current >= 0) {
      var box = rows()[current].querySelector('input[type="checkbox"]');
      if (box) { box.checked = !box.checked; say((box.checked ? "Selected: " : "Not selected: ") + box.getAttribute("aria-label").replace(/^Select /, "")); }
    }
    else if (key === "/") { var q = document.getElementById("q"); if (q) { e.preventDefault(); q.focus(); } }
    else if (key === "r" && replyBody) { e.preventDefault(); replyBody.focus(); }
    else if (key === "n" && replyBody) {
      e.preventDefault();
      var internal = document.getElementById("internal");
      if (internal) internal.checked = true;
      replyBody.focus();
    }
  });
})();
