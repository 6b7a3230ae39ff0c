/**
 * Live event feed: one WebSocket to /ws/events (authenticated by the session cookie), newest
 * events on top, capped at MAX_ITEMS. Reconnects with exponential backoff; close code 4401
 * (not authenticated) sends the operator to the login page.
 *
 * Message shape: {"topic": str, "event_id": str, "occurred_at": ISO str, ...fields};
 * {"type": "ping"} keep-alives are ignored. On connect the server first replays recent events
 * (marked "replayed": true), so a screen that just opened is not empty.
 *
 * The page's socket is unfiltered because the domain panels need every event; the operator's
 * filter (feed_filter.js) only hides list items. Other clients can ask the server to filter
 * (/ws/events?domains=...&agency=..., see web/feed_filter.py).
 */

import { formatWitaTime } from "./clock.js";

const MAX_ITEMS = 200;
const MAX_BACKOFF_S = 15;
const STABLE_CONNECTION_MS = 10_000;
const CLOSE_NOT_AUTHENTICATED = 4401;
const SUMMARY_FIELDS = 4;
const SUMMARY_VALUE_CHARS = 60;
const ENVELOPE_FIELDS = new Set(["topic", "event_id", "occurred_at", "type", "replayed"]);
const REMEMBERED_IDS = 1000;

function isScalar(value) {
  return ["string", "number", "boolean"].includes(typeof value);
}

function shorten(text, limit) {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** "field: value · field: value" from the first few scalar fields after the envelope. */
export function summarize(message) {
  const parts = [];
  for (const [key, value] of Object.entries(message)) {
    if (ENVELOPE_FIELDS.has(key) || !isScalar(value)) continue;
    parts.push(`${key.replaceAll("_", " ")}: ${shorten(String(value), SUMMARY_VALUE_CHARS)}`);
    if (parts.length === SUMMARY_FIELDS) break;
  }
  return parts.join(" · ");
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function renderItem(message) {
  const parsed = new Date(message.occurred_at);
  const occurred = Number.isNaN(parsed.getTime()) ? new Date() : parsed;
  const item = element("li", "feed-item");
  item.dataset.topic = message.topic;
  if (typeof message.agency_code === "string") item.dataset.agency = message.agency_code;
  if (message.event_id) item.dataset.eventId = String(message.event_id);
  const time = element("time", "feed-time", formatWitaTime(occurred));
  time.dateTime = occurred.toISOString();
  item.append(time, element("span", "feed-topic", message.topic));
  const summary = summarize(message);
  if (summary) item.append(element("span", "feed-summary", summary));
  return item;
}

function socketUrl() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/ws/events`;
}

const showEverything = () => true;

/**
 * Start the feed. `onEvent(message)` is called for every event (used by the panel registry);
 * `shows({topic, agency})` says whether the list shows an event (the operator's filter).
 * Returns { setFilter(shows): apply a new filter to the list, stop(): close for good }.
 */
export function startFeed({ list, status, empty, onEvent = () => {}, shows = showEverything }) {
  let backoffS = 1;
  let socket = null;
  let retryTimer = null;
  let stopped = false;
  let currentFilter = shows;

  const refreshEmpty = () => {
    empty.hidden = [...list.children].some((item) => !item.hidden);
  };
  const applyFilter = (item) => {
    item.hidden = !currentFilter({ topic: item.dataset.topic, agency: item.dataset.agency });
  };

  const setState = (state, label) => {
    status.dataset.state = state;
    status.textContent = label;
  };

  // Delivery is at-least-once and the server replays recent events on every (re)connect, so
  // the same event_id may arrive twice: show it once.
  const seen = new Set();
  const firstTime = (id) => {
    if (!id) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value);
    return true;
  };

  const show = (message) => {
    const item = renderItem(message);
    applyFilter(item);
    list.prepend(item);
    while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
    refreshEmpty();
  };

  const handle = (raw) => {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      console.warn("feed: ignoring a message that is not JSON");
      return;
    }
    if (!message || typeof message !== "object" || message.type === "ping") return;
    if (typeof message.topic !== "string" || !firstTime(message.event_id)) return;
    show(message);
    onEvent(message);
  };

  const connect = () => {
    let openedAt = null;
    socket = new WebSocket(socketUrl());
    socket.addEventListener("open", () => {
      openedAt = Date.now();
      setState("live", "Live");
    });
    socket.addEventListener("message", (event) => handle(event.data));
    socket.addEventListener("close", (event) => {
      if (stopped) return;
      if (event.code === CLOSE_NOT_AUTHENTICATED) {
        window.location.assign("/login");
        return;
      }
      // Only a connection that stayed up resets the backoff: a server that accepts and then
      // drops every socket must not be hammered once a second.
      if (openedAt !== null && Date.now() - openedAt >= STABLE_CONNECTION_MS) backoffS = 1;
      setState("reconnecting", `Reconnecting in ${backoffS}s`);
      retryTimer = setTimeout(connect, backoffS * 1000);
      backoffS = Math.min(backoffS * 2, MAX_BACKOFF_S);
    });
  };

  setState("reconnecting", "Connecting");
  connect();
  return {
    setFilter(nextFilter) {
      currentFilter = nextFilter;
      for (const item of list.children) applyFilter(item);
      refreshEmpty();
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      socket?.close();
    },
  };
}
