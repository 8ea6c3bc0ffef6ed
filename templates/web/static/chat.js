// The customer's live chat on the static help site (docs/chat.md). No build step. The markup
// below is constant; what the server or the customer wrote goes in only as textContent.
(() => {
"use strict";
const me = document.currentScript;
if (!me || !me.dataset.tenant) return;
const service = new URL(me.dataset.chatUrl || "/", location.href);
const API = service.origin + service.pathname.replace(/\/+$/, "") + "/chat/" + encodeURIComponent(me.dataset.tenant);
const KEY = "intake-chat-" + me.dataset.tenant;
const LOST = "Connection lost. Reconnecting…";

// A labelled field, described by the server's error about it.
const field = (name, label, type) => {
  const id = "intake-chat-" + name;
  const attrs = `id="${id}" name="${name}" aria-describedby="${id}-error" required`;
  const input = type ? `<input ${attrs} type="${type}" autocomplete="${name}">` : `<textarea ${attrs} rows="4"></textarea>`;
  return `<div class="ic-field"><label for="${id}">${label}</label>${input}<p id="${id}-error" class="ic-error"></p></div>`;
};
const wrap = document.createElement("div");
wrap.className = "intake-chat";
wrap.innerHTML = `
<section id="intake-chat-panel" class="ic-panel" role="dialog" aria-labelledby="intake-chat-title" hidden>
<div class="ic-head"><h2 id="intake-chat-title" tabindex="-1">Chat with support</h2><button data-do="close">Close</button></div>
<p class="ic-sub"></p><p class="ic-notice" role="status"></p><p class="ic-error" role="alert"></p>
<div class="ic-body">
<p data-view="loading" hidden>Connecting…</p>
<form data-view="start" novalidate hidden><p></p>
${field("name", "Your name", "text")}${field("email", "Your email", "email")}${field("message", "What can we help with?")}
<p class="ic-error" role="alert"></p><button></button></form>
<div data-view="sent" tabindex="-1" hidden><p>Thank you. We'll answer by email.</p><p>Your reference: <strong></strong></p></div>
<div data-view="chat" class="ic-convo" hidden>
<div class="ic-scroll" role="log" aria-live="polite" aria-label="Conversation" tabindex="0">
<ol class="ic-log"></ol><ul class="ic-log ic-outbox" aria-live="off"></ul></div>
<p class="ic-typing" role="status"></p>
<p class="ic-bymail" hidden>Nobody has joined yet. <button type="button" data-do="bymail">Answer me by email instead</button></p>
<form class="ic-compose"><label for="intake-chat-text" class="ic-vh">Your message</label>
<div class="ic-row"><textarea id="intake-chat-text" rows="2"></textarea><button>Send</button></div>
<div class="ic-row"><label class="ic-file"><span>Attach a file</span><input type="file"></label>
<button type="button" data-do="end">End chat</button></div></form>
<div class="ic-ended" tabindex="-1" hidden><p>This chat has ended.</p><button data-do="restart">Start a new chat</button></div>
<p><button data-do="transcript">Email me the transcript</button></p>
</div>
</div>
</section>
<button class="ic-launch" aria-expanded="false" aria-controls="intake-chat-panel" data-do="toggle">Chat with us</button>`;
const $ = (css) => wrap.querySelector(css);
const panel = $(".ic-panel"), launcher = $(".ic-launch"), heading = $("h2"), sub = $(".ic-sub");
const notice = $(".ic-notice"), alertBox = $(".ic-panel > .ic-error"), log = $("ol"), pending = $(".ic-outbox");
const typing = $(".ic-typing"), compose = $(".ic-compose"), text = $("#intake-chat-text");
const fileInput = $("[type=file]"), ended = $(".ic-ended"), newBtn = $("[data-do=restart]");
const byMail = $(".ic-bymail");
const readMark = el("span", { class: "ic-read", text: "Read" });

let chat = load(); // {session, token, last, open, ended}: lets this browser resume the chat
let stage = "idle"; // idle, loading, start, offline, sent, resuming, chat or ended
let session = null;
let lastId = 0; // the highest id streamed: "after" on reconnecting
const shown = new Set(); // ids on screen, none twice
const outbox = []; // {client_id, text, li, sock}: resent until stored
let ws = null, mode = "ws", wsFails = 0, attempt = 0, gen = 0, timer = 0, posting = false;
let reached = false; // the service answered the last call over HTTP
let agentMax = 0, readSent = 0, agentRead = 0, typingSent = 0, typingTimer = 0;
let unsent = (chat && chat.unsent) || ""; // typed when the chat ended: for the next chat

function load() {
  try { return JSON.parse(localStorage.getItem(KEY)); } catch (e) { return null; }
}
function persist(keep) {
  try {
    if (keep && chat) localStorage.setItem(KEY, JSON.stringify(chat));
    else localStorage.removeItem(KEY);
  } catch (e) { /* no storage: the chat lasts as long as the page */ }
}

function el(tag, attrs, kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k === "text" ? (n.textContent = v) : n.setAttribute(k, v);
  n.append(...(kids || []));
  return n;
}
function say(message, isError) {
  (isError ? alertBox : notice).textContent = message;
  (isError ? notice : alertBox).textContent = "";
}
function show(name, target) {
  for (const v of wrap.querySelectorAll("[data-view]")) v.hidden = v.dataset.view !== name;
  if (target && !panel.hidden) target.focus();
}

// Paths under /sessions/<id> are about the chat and carry its token.
const fail = (status, message, field) => Object.assign(new Error(message), { status, field });
const gone = (e) => e.status === 401 || e.status === 404;
const sp = (rest) => "/sessions/" + encodeURIComponent(chat.session) + rest;

async function api(method, path, body, signal) {
  const headers = { Accept: "application/json" };
  if (path.startsWith("/sessions/")) headers.Authorization = "Bearer " + chat.token;
  if (body && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const r = await fetch(API + path, { method, headers, body, signal, credentials: "omit" })
    .catch(() => { throw fail(0, "We can't reach the chat service. Check your connection."); });
  const data = (await r.json().catch(() => null)) || {};
  if (r.ok) return data;
  const err = data.error || {};
  throw fail(r.status, err.message || `Something went wrong (HTTP ${r.status}).`, err.field);
}

// A file as a blob: URL, from the documented path: the token goes nowhere else.
async function blobUrl(m) {
  const headers = { Authorization: "Bearer " + chat.token };
  const r = await fetch(API + sp("/files/" + encodeURIComponent(m.id)), { headers, credentials: "omit" });
  if (!r.ok) throw fail(r.status);
  return URL.createObjectURL(await r.blob());
}

// An error about a field shows by the field, any other by the button.
function onSubmit(form, action) {
  let busy = false;
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    if (busy) return;
    busy = true;
    const values = {};
    for (const p of form.querySelectorAll(".ic-error")) p.textContent = "";
    for (const input of form.querySelectorAll("[name]:enabled")) {
      values[input.name] = input.value.trim();
      input.removeAttribute("aria-invalid");
    }
    try {
      await action(values);
    } catch (e) {
      const input = e.field && form.querySelector(`[name="${CSS.escape(e.field)}"]`);
      (input ? input.nextElementSibling : form.querySelector("[role=alert]")).textContent = e.message;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    }
    busy = false;
  };
}
// One form: it starts a chat when an agent is online, else leaves a message (a ticket).
const start = $("[data-view=start]"), about = $("#intake-chat-message");
onSubmit(start, async (values) => {
  if (stage === "start") {
    const data = await api("POST", "/sessions", values);
    return begin(data.session, data.token);
  }
  const data = await api("POST", "/offline", values);
  stage = "sent";
  unsent = "";
  $("[data-view=sent] strong").textContent = data.reference;
  show("sent", $("[data-view=sent]"));
});

async function offerChat(focus) {
  stage = "loading";
  sub.textContent = "";
  say("");
  show("loading");
  try {
    const online = (await api("GET", "/status")).agents_online;
    if (stage !== "loading") return;
    stage = online ? "start" : "offline";
    start.firstChild.textContent = online ? "An agent is online. Tell us who you are to start."
      : "No agent is online right now. Leave a message and we'll answer by email.";
    start.lastChild.textContent = online ? "Start chat" : "Leave a message";
    start.setAttribute("aria-label", start.lastChild.textContent);
    about.disabled = about.parentNode.hidden = online; // disabled: not sent
    if (!online && unsent && !about.value) about.value = unsent; // what the last chat cut off
    show("start", focus && $("#intake-chat-name"));
  } catch (e) {
    stage = "idle"; // opening the panel again tries again
    say(e.message, true);
    show("");
  }
}

function begin(s, token) {
  clearConvo();
  chat = { session: s.id, token, last: 0, open: true };
  persist(true);
  stage = "chat";
  applySession(s);
  if (unsent && !text.value) text.value = unsent; // what the last chat cut off, to send
  unsent = "";
  show("chat", text);
  connect();
}

function clearConvo() {
  disconnect();
  shown.clear();
  outbox.length = lastId = agentMax = readSent = agentRead = wsFails = attempt = 0;
  log.textContent = pending.textContent = "";
  compose.hidden = false;
  typing.textContent = "";
  ended.hidden = byMail.hidden = true;
  mode = "ws";
  say("");
}

const agentName = (s) => (typeof s.agent === "string" ? s.agent : s.agent && s.agent.name) || "";

// The agent's joining is announced by the conversation's own message (a live region).
function applySession(s) {
  if (!s) return;
  const name = agentName(s);
  session = s;
  sub.textContent = s.status !== "active" ? ""
    : !s.agent ? "Waiting for an agent to join…" : `You're chatting with ${name || "an agent"}.`;
  byMail.hidden = !!s.agent || s.status !== "active"; // waiting: no need to wait on
  agentRead = Math.max(agentRead, s.agent_read_up_to || 0);
  updateRead();
  if (s.status !== "active") finish();
}

// Over: nothing to send or resume, but the transcript can still be mailed.
// The ended chat stays in this browser, its transcript to be had from any page, until the
// customer starts a new one; a message they were typing waits in the new chat's form.
function finish() {
  if (stage === "ended") return;
  const focused = panel.contains(document.activeElement);
  const typingHere = document.activeElement === text;
  stage = "ended";
  disconnect();
  catchUp();
  unsent = text.value.trim() || unsent;
  if (chat) { chat.ended = true; chat.unsent = unsent; persist(true); }
  text.value = "";
  sub.textContent = "";
  typing.textContent = "";
  compose.hidden = true;
  ended.hidden = false;
  for (const item of outbox) item.li.firstChild.textContent = "You: not sent";
  // The control it was on is gone: not back to the page's top. From the box, to the end's
  // words rather than its button, which the next key typed would press.
  if (focused) (typingHere ? ended : newBtn).focus();
  say(unsent ? "The chat has ended. What you were typing is kept for a new chat."
    : "The chat has ended.");
}

// What was said before the end that this page has not shown (it was away when the chat
// ended): the last answers matter most. Bounded: a page of messages at a time, 20 pages.
async function catchUp() {
  let after = lastId;
  try {
    for (let page = 0; page < 20; page++) {
      const data = await api("GET", sp(`/messages?after=${after}`));
      for (const m of data.messages || []) {
        receive(m, false);
        after = Math.max(after, +m.id || 0);
      }
      if (!data.more || !(data.messages || []).length) break;
    }
  } catch (e) { /* the end is shown; what is missing stays in the transcript */ }
}

async function endChat() {
  try { await api("POST", sp("/close")); } catch (e) { if (!gone(e)) return say(e.message, true); }
  finish();
  newBtn.focus();
}

// What was said becomes a ticket, answered by mail; the conversation says so, and ends.
async function answerByMail() {
  // What is written in the box goes with it: sent first, and waited for (at most 10 s).
  if (text.value.trim()) send();
  for (let i = 0; i < 100 && outbox.length; i++) await new Promise((done) => setTimeout(done, 100));
  if (outbox.length) return say("Your message is still on its way: try again in a moment.", true);
  let data;
  try { data = await api("POST", sp("/by-mail")); } catch (e) { return say(e.message, true); }
  applySession(data.session); // ended: the conversation's last messages name the ticket
}

async function transcript() {
  try { await api("POST", sp("/transcript")); } catch (e) { return say(e.message, true); }
  say("The transcript is on its way to your email.");
}

// Forget the chat (ended, or its token no longer works).
function restart(focus) {
  clearConvo();
  chat = session = null;
  persist(false);
  stage = "idle";
  if (!panel.hidden) offerChat(focus);
}

function render(m) {
  const author = ["customer", "agent"].includes(m.author) ? m.author : "system";
  const at = new Date(m.at);
  const meta = el("p", { class: "ic-meta" }, [author === "customer" ? "You" : m.name]);
  meta.append(" ", el("time", { datetime: m.at, text: at.toLocaleTimeString([], { timeStyle: "short" }) }));
  const li = el("li", { class: "ic-msg ic-" + author, "data-id": m.id }, [meta]);
  const name = m.file && (m.file.name || "file");
  if (name && m.kind === "image") {
    const img = el("img", { alt: name });
    li.append(el("p", {}, [img]));
    blobUrl(m).then((u) => { img.src = u; }, () => img.replaceWith(name + " (cannot be shown)"));
  } else if (name) {
    const a = el("a", { href: "#", text: name });
    a.onclick = async (ev) => {
      if (a.download) return; // fetched: the link downloads it itself
      ev.preventDefault();
      try {
        a.href = await blobUrl(m);
        a.download = name;
        a.click();
      } catch (e) { say(name + " could not be downloaded. Try again.", true); }
    };
    li.append(el("p", {}, [a]));
  }
  if (m.text && m.text !== name) li.append(el("p", { class: "ic-text", dir: "auto", text: m.text }));
  return li;
}

// Each id once, in id order; only the stream moves the cursor.
function receive(m, fromStream, item) {
  if (!m) return;
  const id = Number(m.id);
  if (fromStream && id > lastId && stage === "chat") {
    chat.last = lastId = id;
    persist(true);
  }
  if (shown.has(id)) return;
  shown.add(id);
  settle(item || (m.client_id && outbox.find((i) => i.client_id === m.client_id)));
  let ref = null;
  for (let n = log.lastElementChild; n && +n.dataset.id > id; n = n.previousElementSibling) ref = n;
  log.insertBefore(render(m), ref);
  log.parentNode.scrollTop = 1e9;
  if (m.author === "agent") {
    typing.textContent = "";
    agentMax = Math.max(agentMax, id);
  }
  updateRead();
  maybeRead();
}

function settle(item, refused) {
  if (!outbox.includes(item)) return;
  outbox.splice(outbox.indexOf(item), 1);
  item.li.remove();
  if (refused) say(`Not sent: “${item.text}”. ${refused}`, true);
}

// "Read" under the customer's last message once the agent has read it.
function updateRead() {
  let last = log.lastElementChild;
  while (last && !last.classList.contains("ic-customer")) last = last.previousElementSibling;
  if (last && +last.dataset.id <= agentRead) last.append(readMark);
  else readMark.remove();
}

const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(36).slice(2));

const MESSAGE_MAX = 5000; // characters, as the service counts them (code points)

function send() {
  const t = text.value.trim();
  if (!t || stage !== "chat") return;
  const length = [...t].length;
  if (length > MESSAGE_MAX) { // kept in the box to shorten, or to send as a file
    say(`Your message has ${length.toLocaleString()} characters; send at most ${MESSAGE_MAX.toLocaleString()} at once.`, true);
    return;
  }
  text.value = "";
  typingSent = 0; // typing anew
  const li = el("li", { class: "ic-msg ic-customer" }, [
    el("p", { class: "ic-meta", text: "You: sending…" }), el("p", { class: "ic-text", text: t })]);
  outbox.push({ client_id: uuid(), text: t, li, sock: null });
  pending.append(li);
  log.parentNode.scrollTop = 1e9;
  flush();
}

// Once per socket, or POST after POST; a known client_id is no duplicate.
async function flush() {
  if (stage !== "chat" || posting) return;
  if (mode === "ws") {
    for (const i of outbox) {
      if (i.sock === ws || !ws || ws.readyState !== 1) continue;
      i.sock = ws;
      ws.send(JSON.stringify({ type: "message", text: i.text, client_id: i.client_id }));
    }
    return;
  }
  posting = true;
  while (stage === "chat" && outbox.length) {
    const i = outbox[0];
    try {
      const data = await api("POST", sp("/messages"), { text: i.text, client_id: i.client_id });
      receive(data.message, false, i);
      settle(i);
    } catch (e) {
      if (gone(e)) restart(false);
      if (gone(e) || !e.status || e.status >= 500 || e.status === 429) break; // retry later
      settle(i, e.message);
    }
  }
  posting = false;
}

// false if it cannot go now
function signal(type, extra) {
  if (stage !== "chat") return false;
  if (mode === "poll") api("POST", sp("/" + type), extra).catch(() => {});
  else if (ws && ws.readyState === 1) ws.send(JSON.stringify(Object.assign({ type }, extra)));
  else return false;
  return true;
}

function maybeRead() {
  if (panel.hidden || document.hidden || stage !== "chat" || agentMax <= readSent) return;
  if (signal("read", { up_to: lastId })) readSent = agentMax;
}

fileInput.onchange = async () => {
  const file = fileInput.files[0];
  fileInput.value = "";
  if (!file || stage !== "chat") return;
  say(`Sending ${file.name}…`);
  const data = new FormData();
  data.append("file", file, file.name);
  try {
    receive((await api("POST", sp("/files"), data)).message);
    say("");
  } catch (e) {
    if (gone(e)) return restart(false);
    say(`${file.name} was not sent: ${e.message}`, true);
  }
};

// A WebSocket, or long-polling once one failed to open twice in a row.
function setOnline(ok) {
  if (!ok && notice.textContent !== LOST) say(LOST);
  if (ok && notice.textContent === LOST) say("");
}
function disconnect() {
  gen++;
  clearTimeout(timer);
  if (ws) ws.close();
  ws = null;
}
// 1 s doubling to 30 s, ±20% so that browsers do not all return at once.
function later(fn) {
  const d = Math.min(30000, 1000 * 2 ** Math.min(attempt++, 5));
  timer = setTimeout(fn, d * (0.8 + Math.random() * 0.4));
}

function connect() {
  disconnect();
  if (stage !== "chat") return;
  if (mode === "poll" || !window.WebSocket) return poll();
  let opened = false, sock;
  try {
    sock = ws = new WebSocket(API.replace(/^http/, "ws") + "/socket");
  } catch (e) {
    return poll(); // refused outright (ws: from https)
  }
  sock.onopen = () => {
    opened = true;
    wsFails = attempt = 0;
    setOnline(true);
    sock.send(JSON.stringify({ type: "hello", session: chat.session, token: chat.token, after: lastId }));
    flush();
    maybeRead();
  };
  sock.onmessage = (ev) => {
    try {
      if (ws === sock) frame(JSON.parse(ev.data));
    } catch (e) { /* not JSON */ }
  };
  sock.onclose = () => {
    if (ws !== sock || stage !== "chat") return;
    ws = null;
    setOnline(false);
    // A socket that never opens while the service answers over HTTP: a proxy blocks WebSockets.
    // While the service is away (a restart) nothing answers, and the socket is tried again.
    if (!opened && reached && ++wsFails >= 2) mode = "poll";
    later(resume); // the chat may have ended, or its token expired: ask before reconnecting
  };
}

function frame(f) {
  if (f.type === "message") receive(f.message, true);
  else if (f.type === "session") applySession(f.session);
  else if (f.type === "read" && f.by !== "customer") {
    agentRead = Math.max(agentRead, +f.up_to || 0);
    updateRead();
  } else if (f.type === "typing" && f.who !== "customer") {
    // A status line always there (its text comes and goes): a screen reader announces it.
    typing.textContent = (f.name || "Agent") + " is typing…";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typing.textContent = ""; }, 5000);
  } else if (f.type === "error") {
    // A refused message names its field (a refused socket does not).
    const item = "field" in f && outbox.find((i) => i.sock === ws);
    if (item) settle(item, f.message);
    else say(f.message, true);
  }
}

async function poll() {
  mode = "poll";
  const my = gen;
  let quick = true; // the first call (and the first after a failure) says at once that all is well
  flush();
  while (my === gen && stage === "chat") {
    // A proxy may never answer; a poll left behind is ignored.
    const limit = AbortSignal.timeout && AbortSignal.timeout(35000);
    try {
      const data = await api("GET", sp(`/messages?after=${lastId}&wait=${quick ? 0 : 25}`), null, limit);
      if (my !== gen) return;
      quick = false;
      attempt = 0;
      setOnline(true);
      for (const m of data.messages || []) receive(m, true);
      applySession(data.session);
      flush();
    } catch (e) {
      if (my !== gen) return;
      if (gone(e)) return restart(false);
      setOnline(false);
      quick = true;
      await new Promise((done) => later(done));
    }
  }
}

// On every page an open chat resumes: its history (after=0), then new messages. Each
// reconnection comes here too.
async function resume() {
  const loading = stage !== "chat";
  if (loading) stage = "resuming";
  try {
    reached = false;
    const s = (await api("GET", sp(""))).session;
    reached = true;
    if (loading && s.status !== "active") {
      if (!chat.ended) return restart(false);
      show("chat"); // ended on another page: its messages and transcript are still here
    }
    applySession(s);
  } catch (e) {
    if (gone(e)) return restart(false); // else unreachable for now: keep trying
  }
  if (stage === "ended") return;
  stage = "chat";
  show("chat");
  connect();
  if (chat.open && panel.hidden) open(false);
}

// The panel stays open (or closed) from page to page.
function toggle(open) {
  panel.hidden = !open;
  launcher.setAttribute("aria-expanded", open);
  if (stage !== "chat") return;
  chat.open = open;
  persist(true);
}
function open(byUser) {
  toggle(true);
  if (byUser) heading.focus();
  if (["idle", "start", "offline"].includes(stage)) offerChat(byUser); // is anyone online now?
  else if (byUser && stage === "chat") text.focus();
  else if (byUser && stage === "ended") newBtn.focus();
  log.parentNode.scrollTop = 1e9;
  maybeRead();
}
function close() {
  toggle(false);
  launcher.focus();
}

const actions = { toggle: () => (panel.hidden ? open(true) : close()), close, end: endChat, transcript,
  restart: () => restart(true), bymail: answerByMail };
wrap.onclick = (e) => {
  const target = e.target.closest("[data-do]");
  if (target) actions[target.dataset.do]();
};
panel.onkeydown = (e) => { if (e.key === "Escape" && !e.defaultPrevented) close(); };
// On a narrow screen the open panel covers the page: Tab goes round the panel and its
// launcher, not on to links hidden beneath it, and Escape closes it wherever the focus is.
const covers = () => !panel.hidden && window.innerWidth < 480;
const FOCUSABLE = "button, input, textarea, select, a[href], [tabindex]:not([tabindex='-1'])";
document.addEventListener("keydown", (e) => {
  if (!covers() || e.defaultPrevented) return;
  if (e.key === "Escape") return close();
  if (e.key !== "Tab") return;
  const all = [...panel.querySelectorAll(FOCUSABLE)]
    .filter((el) => !el.disabled && el.offsetParent !== null).concat(launcher);
  const at = all.indexOf(document.activeElement);
  const next = at === -1 ? 0 : !e.shiftKey && at === all.length - 1 ? 0
    : e.shiftKey && at === 0 ? all.length - 1 : null;
  if (next !== null) { e.preventDefault(); all[next].focus(); }
});
compose.onsubmit = (e) => { e.preventDefault(); send(); };
text.onkeydown = (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) compose.onsubmit(e); };
text.oninput = () => {
  if (text.value.trim() && Date.now() - typingSent >= 3000 && signal("typing")) typingSent = Date.now();
};
document.addEventListener("visibilitychange", maybeRead);
// The widget's stylesheet is its own, beside this script: loaded here, not in the page's head,
// so the help center's pages never wait on the service to show (it may be slow, or down).
// The widget shows once its styles have come; without them (the service is away), not at all.
const styles = document.createElement("link");
styles.rel = "stylesheet";
styles.href = new URL("chat.css", me.src).href;
styles.onload = () => {
  document.body.append(wrap);
  if (chat) resume();
};
document.head.append(styles);
})();
