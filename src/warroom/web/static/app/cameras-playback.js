/**
 * Playback of one camera by time: HLS VOD of the recorded segments, a timeline of recordings,
 * gaps and events, and clip export (MP4 + SHA-256, audited). Times are entered in WITA (UTC+8).
 */

import { el, getJson, playHls } from "./cameras-hls.js";

const root = document.getElementById("playback");
const cameraId = root.dataset.cameraId;
const video = document.getElementById("playback-video");
const timelineBox = document.getElementById("timeline");
const startInput = document.getElementById("playback-start");
const endInput = document.getElementById("playback-end");
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const WITA_MS = 8 * 3600 * 1000;
let stop = () => {};

const toInput = (date) => new Date(date.getTime() + WITA_MS).toISOString().slice(0, 19);
const fromInput = (value) => `${value}+08:00`;

function bar(kind, start, end, range) {
  const span = range.end - range.start;
  const left = ((new Date(start) - range.start) / span) * 100;
  const right = ((end ? new Date(end) : range.end) - range.start) / span * 100;
  const node = el("span", `tl-bar tl-${kind}`);
  node.dataset.left = Math.max(0, left).toFixed(2);
  node.dataset.width = Math.max(0.3, Math.min(100, right) - Math.max(0, left)).toFixed(2);
  node.title = `${kind}: ${start} – ${end || "now"}`;
  return node;
}

function drawTimeline(data) {
  const range = { start: new Date(data.start_at), end: new Date(data.end_at) };
  const bars = [
    ...data.spans.map((s) => bar(s.tier === "archive" ? "archive" : "rec", s.start_at, s.end_at, range)),
    ...data.gaps.map((g) => bar("gap", g.start_at, g.end_at, range)),
    ...data.events.map((e) => bar("event", e.start_at, e.end_at, range)),
  ];
  timelineBox.replaceChildren(...bars);
  // CSP forbids inline styles; positions are set through the CSSOM instead.
  for (const node of bars) {
    node.style.left = `${node.dataset.left}%`;
    node.style.width = `${node.dataset.width}%`;
  }
}

async function show() {
  const query = `start=${encodeURIComponent(fromInput(startInput.value))}&end=${encodeURIComponent(fromInput(endInput.value))}`;
  drawTimeline(await getJson(`/api/cameras/${cameraId}/timeline?${query}`));
  stop();
  stop = playHls(video, `/api/cameras/${cameraId}/playback.m3u8?${query}`, { live: false });
}

async function exportClip(event) {
  event.preventDefault();
  const output = document.getElementById("export-result");
  const response = await fetch(`/api/cameras/${cameraId}/exports`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({
      start_at: fromInput(startInput.value),
      end_at: fromInput(endInput.value),
      reason: document.getElementById("export-reason").value,
    }),
  });
  const body = await response.json();
  if (!response.ok) {
    output.textContent = `Export failed: ${body.detail}`;
    return;
  }
  const link = el("a", "export-link", `MP4 (${body.bytes} bytes)`);
  link.href = `/api/camera-exports/${body.id}/download`;
  output.replaceChildren(link, el("code", "export-sha", ` SHA-256 ${body.sha256}`));
}

const now = new Date();
endInput.value = toInput(now);
startInput.value = toInput(new Date(now.getTime() - 15 * 60 * 1000));
document.getElementById("playback-range").addEventListener("submit", (event) => {
  event.preventDefault();
  show().catch((error) => console.error(error));
});
document.getElementById("export-form").addEventListener("submit", exportClip);
getJson(`/api/cameras/${cameraId}`).then((camera) => {
  document.getElementById("playback-title").textContent = `Playback · ${camera.name}`;
});
show().catch((error) => console.error(error));
