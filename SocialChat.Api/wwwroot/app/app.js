// SocialChat web client: plain JavaScript and one library (@microsoft/signalr). It is the reference for a
// client developer, so it stays short; comments marked "Protocol:" are the rules every client must follow.
"use strict";

const API = "/api/v1";
const $ = selector => document.querySelector(selector);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const uuid = () => crypto.randomUUID?.() ?? "10000000-1000-4000-8000-100000000000".replace(/[018]/g, c =>
  (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));

let auth = null;            // AuthResult: {user, accessToken, accessTokenExpiresAt, refreshToken, …}
let hub = null;             // the SignalR connection
let refreshTimer = null;
const conversations = new Map();   // id → Conversation, as the list shows it
const outbox = [];                 // messages not yet acknowledged: {conversationId, clientMessageId, body}
let chat = null;                   // the open conversation: {id, members, messages: Map seq → Message, revision, readSeqs, typers}
let notifications = [];

// ---------------------------------------------------------------- REST and tokens

async function api(path, { method = "GET", body } = {}) {
  const send = () => fetch(API + path, {
    method,
    headers: { ...(body !== undefined && { "content-type": "application/json" }), ...(auth && { authorization: `Bearer ${auth.accessToken}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let response = await send();
  if (response.status === 401 && auth && await refreshTokens()) {
    response = await send();
  }
  if (!response.ok) {
    // Errors are application/problem+json: {title, detail, errors: {field: [messages]}}.
    const problem = await response.json().catch(() => ({}));
    throw new Error(Object.values(problem.errors ?? {}).flat()[0] ?? problem.detail ?? problem.title ?? `${response.status}`);
  }
  return response.status === 204 ? null : response.json();
}

function useTokens(next) {
  auth = next;
  localStorage.setItem("socialchat.auth", JSON.stringify(next));
  // Protocol: the access token lives 15 minutes; exchange the refresh token a minute before it expires.
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshTokens, Date.parse(next.accessTokenExpiresAt) - Date.now() - 60_000);
}

// Protocol: each refresh token works once, and presenting a used one again signs the whole session out.
// Tabs of one browser share the tokens, so they refresh one at a time (a Web Lock), and a tab that finds the
// stored token already rotated by another tab takes the new pair instead of presenting the old one.
async function refreshTokens() {
  const used = auth.refreshToken;
  const exclusive = navigator.locks ? f => navigator.locks.request("socialchat-refresh", f) : f => f();
  return exclusive(async () => {
    const stored = JSON.parse(localStorage.getItem("socialchat.auth") ?? "null");
    if (stored && stored.refreshToken !== used) {
      useTokens(stored);
      return true;
    }
    const response = await fetch(`${API}/auth/refresh`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refreshToken: used }),
    });
    if (response.status === 401) {
      signedOut();
      return false;
    }
    if (!response.ok) {
      throw new Error(`Refreshing the session failed (${response.status}).`);
    }
    useTokens(await response.json());
    return true;
  });
}

async function freshAccessToken() {
  if (Date.parse(auth.accessTokenExpiresAt) - Date.now() < 30_000) {
    await refreshTokens();
  }
  return auth.accessToken;
}

// ---------------------------------------------------------------- the hub

// Protocol: reconnect forever, each try at a random moment within what is left of a 30 s window after the drop
// (then every 5-15 s). A restarting node loses all its clients in one instant; this brings them back spread
// over the window instead of in the same second, whenever the node returns (README "Reconnect").
const connected = () => hub?.state === signalR.HubConnectionState.Connected;
const reconnectDelay = elapsedMilliseconds => elapsedMilliseconds < 29_500
  ? 500 + Math.random() * (29_500 - elapsedMilliseconds)
  : 5_000 + Math.random() * 10_000;

async function connect() {
  const { hubUrl } = await (await fetch("config.json")).json();
  hub = new signalR.HubConnectionBuilder()
    .withUrl(hubUrl, {
      accessTokenFactory: freshAccessToken,        // sent as ?access_token= on the WebSocket
      transport: signalR.HttpTransportType.WebSockets,
      skipNegotiation: true,                       // WebSockets only: no negotiate round trip, no sticky routing needed
    })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ({ elapsedMilliseconds }) => reconnectDelay(elapsedMilliseconds) })
    .configureLogging(signalR.LogLevel.Warning)    // Information would log the URL, token included
    .build();

  hub.on("MessageReceived", onMessage);
  hub.on("MessageEdited", onMessage);
  hub.on("MessageDeleted", ({ conversationId, seq, revision }) => chat?.id === conversationId && chat.messages.has(seq) &&
    onMessage({ ...chat.messages.get(seq), body: null, deletedAt: new Date().toISOString(), revision }));
  hub.on("TypingChanged", ({ conversationId, userId, isTyping }) => {
    if (chat?.id === conversationId) {
      isTyping ? showTyping(userId) : hideTyping(userId);
    }
  });
  hub.on("ReadReceipt", ({ conversationId, userId, seq }) => {
    if (chat?.id === conversationId && userId !== auth.user.id) {
      chat.readSeqs.set(userId, Math.max(seq, chat.readSeqs.get(userId) ?? 0));
      renderMessages();
    }
  });
  hub.on("PresenceChanged", presence => chat?.members.has(presence.userId) && renderPresence(presence));
  hub.on("ConversationChanged", conversation => {
    conversations.set(conversation.id, conversation);
    renderConversations();
    if (chat?.id === conversation.id) {
      openConversation(conversation.id);   // title or members changed
    }
  });
  // Protocol: removed from a group, or left it on another device: the conversation is no longer ours to show.
  hub.on("ConversationRemoved", ({ conversationId }) => {
    conversations.delete(conversationId);
    if (chat?.id === conversationId) {
      closeConversation();
    }
    renderConversations();
  });
  hub.on("Notification", notification => {
    notifications.unshift(notification);
    renderNotifications();
  });
  hub.onreconnecting(() => setStatus("reconnecting…"));
  hub.onreconnected(() => run(ready));

  for (const firstTry = Date.now(); auth;) {
    try {
      setStatus("connecting…");
      await hub.start();
      break;
    } catch {
      setStatus("offline, retrying…");
      await sleep(reconnectDelay(Date.now() - firstTry));
    }
  }
  if (auth) {
    await ready();
  }
}

// Protocol: start() resolves at the handshake, a moment before the server has joined the connection to its
// conversations. Events flow once the first invocation has returned (SubscribePresence here); whatever was
// sent before that, or while disconnected, comes from the catch-up. Live delivery is best-effort, history is
// complete: after every (re)connect, read each conversation forward from the last seq seen, and its edits and
// deletions since the last revision read.
async function ready() {
  await subscribePresence();
  await loadConversations();      // fresh unread counts and last messages of every conversation
  if (chat) {
    await readForward(chat);      // the open one: exactly what it missed, in order
  }
  setStatus("online");
  flushOutbox();
}

// The user may open another conversation meanwhile: pages read for this one then go nowhere.
async function readForward(reading) {
  const messages = `/conversations/${reading.id}/messages`;
  const newest = Math.max(0, ...reading.messages.keys());
  await readAll(reading, messages, `after=${newest}`, message => addMessage(message));
  // Protocol: changes come in the order they were made; those of messages not held are of no use here.
  await readAll(reading, messages, `changedAfter=${reading.revision}`, message => {
    if (reading.messages.has(message.seq)) {
      addMessage(message);
    }
    reading.revision = Math.max(reading.revision, message.revision ?? 0);
  });
  if (chat === reading) {
    renderMessages();
    markRead();
  }
}

async function readAll(reading, path, range, onItem) {
  let page = await api(`${path}?${range}&limit=100`);
  while (chat === reading) {
    page.items.forEach(onItem);
    if (!page.nextCursor) {
      return;
    }
    page = await api(`${path}?cursor=${encodeURIComponent(page.nextCursor)}&limit=100`);
  }
}

async function subscribePresence() {
  if (!connected()) {
    return;                       // ready() subscribes once connected
  }
  const others = chat ? [...chat.members.keys()].filter(id => id !== auth.user.id) : [];
  (await hub.invoke("SubscribePresence", others)).forEach(renderPresence);
}

// ---------------------------------------------------------------- conversations

async function loadConversations() {
  const page = await api("/conversations?limit=100");
  conversations.clear();
  page.items.forEach(c => conversations.set(c.id, c));
  renderConversations();
}

function renderConversations() {
  const sorted = [...conversations.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  $("#conversations").replaceChildren(...sorted.map(c => {
    const item = element("li", { "data-id": c.id, class: c.id === chat?.id ? "active" : "" },
      element("span", { class: "unread" }, c.unreadCount ? String(c.unreadCount) : ""),
      element("strong", {}, c.title),
      element("small", {}, c.lastMessage ? (c.lastMessage.body ?? "(deleted)") : c.kind));
    item.onclick = () => openConversation(c.id);
    return item;
  }));
}

function closeConversation() {
  chat = null;
  history.replaceState(null, "", location.pathname);
  $("#chat-title").textContent = "";
  $("#members").replaceChildren();
  $("#messages").replaceChildren();
  $("#typing").textContent = "";
  $("#older").hidden = true;
  $("#send-form").hidden = true;
}

async function openConversation(id) {
  const [page, members] = await Promise.all([
    api(`/conversations/${id}/messages?limit=30`),
    api(`/conversations/${id}/members?limit=100`),
  ]);
  chat = {
    id,
    members: new Map(members.items.map(m => [m.user.id, m.user])),
    readSeqs: new Map(members.items.filter(m => m.user.id !== auth.user.id).map(m => [m.user.id, m.lastReadSeq])),
    messages: new Map(),
    // Protocol: a change made after the list was read has a higher revision; one before it is in the page read after.
    revision: conversations.get(id)?.lastRevision ?? 0,
    typers: new Map(),
  };
  page.items.forEach(message => addMessage(message));
  history.replaceState(null, "", `#${id}`);   // a reload opens the same conversation
  $("#chat-title").textContent = conversations.get(id)?.title ?? "";
  $("#members").replaceChildren(...[...chat.members.values()].filter(u => u.id !== auth.user.id)
    .map(u => element("span", { class: "presence", "data-user-id": u.id, title: "offline" }, u.displayName || u.username)));
  $("#older").hidden = !page.nextCursor;
  $("#send-form").hidden = false;
  renderConversations();
  renderMessages(true);
  renderTyping();
  markRead();
  await subscribePresence();
}

// History pages back with before=<oldest seq shown>, newest first.
async function loadOlder() {
  const oldest = Math.min(...chat.messages.keys());
  const page = await api(`/conversations/${chat.id}/messages?before=${oldest}&limit=30`);
  page.items.forEach(message => addMessage(message));
  $("#older").hidden = !page.nextCursor;
  renderMessages();
}

// Protocol: of two versions of a message, the higher revision is the newer. Changes announced by different
// processes can arrive out of order, and a page read can be older than an event that overtook it: the older is stale
// (an edit after the deletion too, which has the higher revision).
const isStale = (message, known) => known?.seq === message.seq && known.revision > message.revision;

function addMessage(message) {
  if (chat?.id === message.conversationId && !isStale(message, chat.messages.get(message.seq))) {
    chat.messages.set(message.seq, message);
  }
}

function onMessage(message) {
  const conversation = conversations.get(message.conversationId);
  const known = chat?.id === message.conversationId ? chat.messages.get(message.seq) : conversation?.lastMessage;
  if (isStale(message, known)) {
    return;
  }
  if (conversation && message.seq >= conversation.lastSeq) {
    const fromOther = message.senderId !== auth.user.id && message.seq > conversation.lastSeq;
    Object.assign(conversation, { lastMessage: message, lastSeq: message.seq, updatedAt: message.createdAt });
    if (fromOther && chat?.id !== message.conversationId) {
      conversation.unreadCount += 1;
    }
  }
  renderConversations();
  if (chat?.id === message.conversationId) {
    hideTyping(message.senderId);
    addMessage(message);
    renderMessages();
    markRead();
  }
}

function renderMessages(scrollToEnd = false) {
  const list = $("#messages");
  const atEnd = scrollToEnd || list.scrollTop + list.clientHeight >= list.scrollHeight - 30;
  const readUpTo = Math.max(0, ...chat.readSeqs.values());
  const sent = [...chat.messages.values()].sort((a, b) => a.seq - b.seq).map(m => {
    const mine = m.senderId === auth.user.id;
    const sender = chat.members.get(m.senderId);
    return element("li", { class: mine ? "mine" : "", "data-seq": String(m.seq) },
      element("small", {}, `${mine ? "you" : sender?.displayName || sender?.username || "someone"} · ${new Date(m.createdAt).toLocaleTimeString()}`),
      element("span", { class: "body" }, m.body ?? "(deleted)"),   // plain text: never innerHTML
      mine ? element("small", { class: "receipt" }, m.seq <= readUpTo ? "Read" : "Sent") : "");
  });
  const pending = outbox.filter(o => o.conversationId === chat.id)
    .map(o => element("li", { class: "mine pending" }, element("span", { class: "body" }, o.body), element("small", {}, o.error ?? "sending…")));
  list.replaceChildren(...sent, ...pending);
  if (atEnd) {
    list.scrollTop = list.scrollHeight;
  }
}

// Protocol: MarkRead(seq) once the newest message is on screen; the other members get ReadReceipt.
function markRead() {
  const conversation = conversations.get(chat?.id);
  if (!conversation || document.hidden) {
    return;
  }
  conversation.unreadCount = 0;
  renderConversations();
  const newest = Math.max(0, ...chat.messages.keys());
  if (newest <= (chat.markedRead ?? conversation.lastReadSeq)) {
    return;
  }
  chat.markedRead = newest;
  const marked = connected()
    ? hub.invoke("MarkRead", chat.id, newest)
    : api(`/conversations/${chat.id}/read`, { method: "POST", body: { seq: newest } });
  marked.catch(showError);
  // Protocol: reading a conversation marks its `message` notification read on the server too; the badge follows.
  const missed = notifications.filter(n => n.kind === "message" && n.conversationId === chat.id && !n.readAt);
  missed.forEach(n => n.readAt = new Date().toISOString());
  if (missed.length) {
    renderNotifications();
  }
}

// ---------------------------------------------------------------- sending

// Protocol: clientMessageId is made once per message and reused on every retry, so a retry after a lost
// answer gets the same message back instead of a duplicate.
function send(conversationId, body) {
  outbox.push({ conversationId, clientMessageId: uuid(), body });
  renderMessages(true);
  flushOutbox();
}

let flushing = false;
async function flushOutbox() {
  if (flushing) {
    return;
  }
  flushing = true;
  try {
    while (outbox.length && connected()) {
      const item = outbox[0];
      try {
        const message = await hub.invoke("SendMessage", item.conversationId, item.clientMessageId, item.body, null);
        outbox.shift();
        onMessage(message);
      } catch (error) {
        if (/rate limited/i.test(error.message)) {
          await sleep(1000);
        } else if (connected()) {
          outbox.shift();               // refused (the body rule, not a member): retrying will not help
          showError(error);
        } else {
          break;                        // connection lost: ready() sends it again, with the same id
        }
      }
    }
  } finally {
    flushing = false;
    if (chat) {
      renderMessages();
    }
  }
}

// Protocol: while keys are pressed call Typing(true) every 1.5 s (the server forwards at most one event per
// 2 s), and Typing(false) once the message is sent, the input emptied, or nothing typed for 3 s.
let typingSentAt = 0;
let typingIdle = null;
function onInput(event) {
  if (!event.target.value.trim()) {
    return stopTyping();
  }
  if (Date.now() - typingSentAt > 1500 && connected()) {
    typingSentAt = Date.now();
    hub.invoke("Typing", chat.id, true).catch(() => {});
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, 3000);
}

function stopTyping() {
  clearTimeout(typingIdle);
  if (typingSentAt && connected()) {
    hub.invoke("Typing", chat.id, false).catch(() => {});
  }
  typingSentAt = 0;
}

// Shown until Typing(false), a message from that user, or 6 s after the last Typing(true).
function showTyping(userId) {
  clearTimeout(chat.typers.get(userId));
  chat.typers.set(userId, setTimeout(() => hideTyping(userId), 6000));
  renderTyping();
}

function hideTyping(userId) {
  clearTimeout(chat?.typers.get(userId));
  if (chat?.typers.delete(userId)) {
    renderTyping();
  }
}

function renderTyping() {
  const names = [...chat.typers.keys()].map(id => chat.members.get(id)?.username ?? "someone");
  $("#typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

function renderPresence({ userId, online, lastSeenAt }) {
  const dot = document.querySelector(`#members [data-user-id="${userId}"]`);
  if (dot) {
    dot.classList.toggle("online", online);
    dot.title = online ? "online" : lastSeenAt ? `last seen ${new Date(lastSeenAt).toLocaleString()}` : "offline";
  }
}

// ---------------------------------------------------------------- starting chats

async function findUser(username) {
  const page = await api(`/users?query=${encodeURIComponent(username.trim())}&limit=20`);
  return page.items.find(u => u.username.toLowerCase() === username.trim().toLowerCase())
    ?? Promise.reject(new Error(`No user named ${username.trim()}.`));
}

async function startDirect(form) {
  const user = await findUser(form.username.value);
  const conversation = await api("/conversations/direct", { method: "POST", body: { userId: user.id } });
  conversations.set(conversation.id, conversation);
  form.reset();
  await openConversation(conversation.id);
}

async function startGroup(form) {
  const users = await Promise.all(form.usernames.value.split(",").filter(name => name.trim()).map(findUser));
  const conversation = await api("/conversations/groups", { method: "POST", body: { title: form.title.value, memberIds: users.map(u => u.id) } });
  conversations.set(conversation.id, conversation);
  form.reset();
  await openConversation(conversation.id);
}

// ---------------------------------------------------------------- feed and notifications

async function loadFeed() {
  $("#feed").ariaBusy = "true";
  try {
    const page = await api("/feed?limit=30");
    $("#feed").replaceChildren(...page.items.map(renderPost));
  } finally {
    $("#feed").ariaBusy = "false";
  }
}

function renderPost(post) {
  const like = element("button", { class: "like" }, `${post.likedByMe ? "♥" : "♡"} ${post.likeCount}`);
  like.onclick = () => run(async () => {
    await api(`/posts/${post.id}/like`, { method: post.likedByMe ? "DELETE" : "POST" });
    Object.assign(post, { likedByMe: !post.likedByMe, likeCount: post.likeCount + (post.likedByMe ? -1 : 1) });
    like.closest("li").replaceWith(renderPost(post));
  });
  return element("li", { "data-post-id": post.id },
    element("small", {}, `${post.author.displayName || post.author.username} · ${new Date(post.createdAt).toLocaleString()}`),
    element("div", {}, post.body), like);
}

async function loadNotifications() {
  notifications = (await api("/notifications?limit=30")).items;
  renderNotifications();
}

const verbs = { follow: "followed you", like: "liked your post", comment: "commented on your post", mention: "mentioned you", message: "sent you a message" };
function renderNotifications() {
  const unseen = notifications.filter(n => !n.readAt).length;
  $("#notification-count").textContent = unseen ? `(${unseen})` : "";
  $("#notifications").replaceChildren(...notifications.map(n => {
    const item = element("li", { class: n.readAt ? "" : "unseen" },
      `${n.actor.displayName || n.actor.username} ${verbs[n.kind] ?? n.kind}`, element("small", {}, new Date(n.createdAt).toLocaleString()));
    if (n.kind === "message" && conversations.has(n.conversationId)) {
      item.classList.add("opens");
      item.onclick = () => openConversation(n.conversationId);
    }
    return item;
  }));
}

async function showTab(name) {
  document.querySelectorAll("#social nav button").forEach(b => b.classList.toggle("active", b.dataset.tab === name));
  $("#feed-tab").hidden = name !== "feed";
  $("#notifications-tab").hidden = name !== "notifications";
  if (name === "feed") {
    await loadFeed();   // the feed is not pushed live: opening the tab reads it again
  }
  if (name === "notifications" && notifications.length && !notifications[0].readAt) {
    await api("/notifications/read", { method: "POST", body: { upTo: notifications[0].id } });
    notifications.forEach(n => n.readAt ??= new Date().toISOString());
    setTimeout(renderNotifications, 3000);   // leave them bold for a moment
  }
}

// ---------------------------------------------------------------- page

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes).forEach(([name, value]) => value && node.setAttribute(name, value));
  node.append(...children);
  return node;
}

function setStatus(text) {
  $("#status").textContent = text;
}

function showError(error) {
  $("#error").textContent = error?.message ?? String(error ?? "");
}

const run = task => Promise.resolve().then(task).then(() => showError(""), showError);

function onSubmit(selector, handler) {
  $(selector).addEventListener("submit", event => {
    event.preventDefault();
    run(() => handler(event.target));
  });
}

async function signedIn(result) {
  useTokens(result);
  $("#signed-out").hidden = true;
  $("#signed-in").hidden = false;
  $("#logout").hidden = false;
  $("#me").textContent = `@${auth.user.username}`;
  await loadConversations();
  const id = location.hash.slice(1);
  if (conversations.has(id)) {
    await openConversation(id).catch(() => {});
  }
  await Promise.all([loadFeed(), loadNotifications(), connect()]);
}

function signedOut() {
  auth = null;
  chat = null;
  clearTimeout(refreshTimer);
  localStorage.removeItem("socialchat.auth");
  hub?.stop();
  $("#signed-in").hidden = true;
  $("#logout").hidden = true;
  $("#signed-out").hidden = false;
  $("#me").textContent = "";
  setStatus("");
}

onSubmit("#login-form", async form => signedIn(await api("/auth/login", {
  method: "POST", body: { login: form.login.value, password: form.password.value, deviceName: navigator.userAgent.slice(0, 60) },
})));
onSubmit("#register-form", async form => signedIn(await api("/auth/register", {
  method: "POST", body: { username: form.username.value, email: form.email.value, password: form.password.value, displayName: form.displayName.value || null },
})));
onSubmit("#direct-form", startDirect);
onSubmit("#group-form", startGroup);
onSubmit("#send-form", form => {
  stopTyping();
  send(chat.id, form.body.value);
  form.reset();
});
onSubmit("#post-form", async form => {
  const post = await api("/posts", { method: "POST", body: { body: form.body.value } });
  form.reset();
  $("#feed").prepend(renderPost(post));
});
onSubmit("#follow-form", async form => {
  await api(`/users/${(await findUser(form.username.value)).id}/follow`, { method: "POST" });
  form.reset();
  await loadFeed();
});
$("#send-form").body.addEventListener("input", onInput);
$("#older").onclick = () => run(loadOlder);
document.querySelectorAll("#social nav button").forEach(b => b.onclick = () => run(() => showTab(b.dataset.tab)));
document.addEventListener("visibilitychange", () => chat && markRead());
$("#logout").onclick = () => run(async () => {
  await api("/auth/logout", { method: "POST" }).catch(() => {});
  signedOut();
});

// A reload keeps the session (tokens in localStorage) and the open conversation (the URL's #id).
const stored = JSON.parse(localStorage.getItem("socialchat.auth") ?? "null");
if (stored) {
  auth = stored;
  run(async () => {
    if (Date.parse(stored.accessTokenExpiresAt) - Date.now() < 60_000) {
      await refreshTokens();
    }
    if (auth) {
      await signedIn(auth);
    }
  });
} else {
  signedOut();
}
