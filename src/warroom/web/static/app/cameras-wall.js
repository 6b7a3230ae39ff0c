/**
 * Video wall: tiles of live sub streams (HLS, no transcoding) in layouts of 1, 4, 9 or 16, and a
 * tour that pages through every camera. Layout is read from the URL (?layout=9&page=2).
 */

import { el, getJson, playHls } from "./cameras-hls.js";

const grid = document.getElementById("wall-grid");
const pageLabel = document.getElementById("wall-page-label");
const tourBox = document.getElementById("wall-tour");
const tourSeconds = document.getElementById("wall-tour-seconds");
const params = new URLSearchParams(window.location.search);
let layout = [1, 4, 9, 16].includes(Number(params.get("layout"))) ? Number(params.get("layout")) : 4;
let page = Math.max(0, Number(params.get("page") || 1) - 1);
let cameras = [];
let stops = [];
let tourTimer = null;

function tile(camera) {
  const box = el("figure", `wall-tile status-${camera.status}`);
  box.dataset.cameraId = camera.id;
  const video = el("video", "wall-video");
  video.muted = true;
  video.playsInline = true;
  const caption = el("figcaption", "wall-caption");
  const link = el("a", "wall-name", camera.name);
  link.href = `/cameras/${camera.id}/playback`;
  caption.append(link, el("span", "wall-status", camera.status));
  box.append(video, caption);
  stops.push(playHls(video, `/api/cameras/${camera.id}/live/index.m3u8`));
  return box;
}

function render() {
  for (const stop of stops) stop();
  stops = [];
  const pages = Math.max(1, Math.ceil(cameras.length / layout));
  page %= pages;
  grid.dataset.layout = String(layout);
  const shown = cameras.slice(page * layout, page * layout + layout);
  grid.replaceChildren(...shown.map(tile));
  if (shown.length === 0) grid.append(el("p", "wall-empty", "No cameras registered."));
  pageLabel.textContent = `page ${page + 1} / ${pages}`;
}

function setTour() {
  clearInterval(tourTimer);
  tourTimer = tourBox.checked
    ? setInterval(() => {
        page += 1;
        render();
      }, Number(tourSeconds.value) * 1000)
    : null;
}

for (const button of document.querySelectorAll(".wall-layout")) {
  button.addEventListener("click", () => {
    layout = Number(button.dataset.layout);
    page = 0;
    render();
  });
}
tourBox.addEventListener("change", setTour);
tourSeconds.addEventListener("change", setTour);

cameras = await getJson("/api/cameras");
render();
