/**
 * Shared by the cameras pages: play an HLS URL in a <video> with hls.js (global `Hls`, loaded
 * from /static/vendor/hls.js/), or natively where the browser plays HLS itself.
 *
 * Marks the video with data-first-frame-ms (time from the request to the first decoded frame)
 * so operators and tests can read the live tile start time.
 */

export function playHls(video, url, { live = true } = {}) {
  const started = performance.now();
  const firstFrame = () => {
    video.dataset.firstFrameMs = String(Math.round(performance.now() - started));
    video.dataset.state = "playing";
  };
  video.dataset.state = "loading";
  video.addEventListener("loadeddata", firstFrame, { once: true });
  if (window.Hls && window.Hls.isSupported()) {
    // No worker: the CSP allows scripts from 'self' only, and hls.js builds its worker from a blob.
    const hls = new window.Hls({
      enableWorker: false,
      lowLatencyMode: live,
      liveSyncDurationCount: 2,
      manifestLoadingMaxRetry: 6,
    });
    hls.on(window.Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) video.dataset.state = "error";
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    video.play().catch(() => {});
    return () => hls.destroy();
  }
  video.src = url;
  video.play().catch(() => {});
  return () => video.removeAttribute("src");
}

export async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.status === 401) {
    window.location.assign("/login");
    throw new Error("not authenticated");
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}
