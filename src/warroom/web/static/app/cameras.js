/**
 * Cameras on the war-room page: a map layer (status colour, view cone by direction and field of
 * view) and the side panel (status counts, offline cameras, storage forecast, link to the wall).
 * Live status changes arrive as `cameras.status_changed` events.
 *
 * GET /api/cameras.geojson, GET /api/camera-storage/forecast.
 */

const STATUS_COLOURS = { online: "#3ecf6e", degraded: "#f0b429", offline: "#e5484d", unknown: "#8a8f98" };
const CONE_METRES = 120;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** A view cone polygon: apex at the camera, opening `fov` degrees around `direction`. */
function cone(lat, lon, direction, fov) {
  const points = [[lat, lon]];
  const metresPerDegLat = 111320;
  const metresPerDegLon = 111320 * Math.cos((lat * Math.PI) / 180);
  for (let step = 0; step <= 8; step += 1) {
    const bearing = ((direction - fov / 2 + (fov * step) / 8) * Math.PI) / 180;
    points.push([
      lat + (Math.cos(bearing) * CONE_METRES) / metresPerDegLat,
      lon + (Math.sin(bearing) * CONE_METRES) / metresPerDegLon,
    ]);
  }
  return points;
}

function cameraLayer(map, collection) {
  const layer = window.L.layerGroup();
  const markers = new Map();
  for (const feature of collection.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const p = feature.properties;
    const colour = STATUS_COLOURS[p.status] || STATUS_COLOURS.unknown;
    if (p.direction_deg != null && p.fov_deg != null && p.fov_deg < 360) {
      window.L.polygon(cone(lat, lon, p.direction_deg, p.fov_deg), {
        color: colour, weight: 1, fillOpacity: 0.15, interactive: false,
      }).addTo(layer);
    }
    const marker = window.L.circleMarker([lat, lon], { radius: 6, color: colour, fillOpacity: 0.9 });
    const popup = el("div", "camera-popup");
    const link = el("a", "camera-popup-link", p.name);
    link.href = `/cameras/${p.id}/playback`;
    popup.append(link, el("p", "camera-popup-status", p.status));
    marker.bindPopup(popup);
    marker.addTo(layer);
    markers.set(p.id, marker);
  }
  layer.addTo(map);
  return markers;
}

function formatDays(days) {
  return days == null ? "not filling" : `${days.toFixed(days < 10 ? 1 : 0)} days to full`;
}

async function render(slot, ctx) {
  const collection = await getJson("/api/cameras.geojson");
  const counts = { online: 0, degraded: 0, offline: 0, unknown: 0 };
  const statusById = new Map();
  for (const f of collection.features) statusById.set(f.properties.id, f.properties);
  const heading = el("header", "panel-head");
  heading.append(el("h2", "panel-title", "Cameras"));
  const wall = el("a", "button camera-wall-link", "Video wall");
  wall.href = "/cameras/wall";
  heading.append(wall);
  const summary = el("p", "camera-summary");
  const offline = el("ul", "camera-offline");
  const storage = el("p", "camera-storage");
  slot.append(heading, summary, offline, storage);
  const markers = ctx.map ? cameraLayer(ctx.map, collection) : new Map();

  const redraw = () => {
    for (const key of Object.keys(counts)) counts[key] = 0;
    offline.replaceChildren();
    for (const p of statusById.values()) {
      counts[p.status] = (counts[p.status] || 0) + 1;
      if (p.status === "offline" || p.status === "degraded") {
        offline.append(el("li", `camera-alert status-${p.status}`, `${p.name}: ${p.status}`));
      }
    }
    summary.textContent = `${counts.online} online · ${counts.degraded} degraded · ${counts.offline} offline`;
  };
  redraw();
  ctx.onEvent((message) => {
    if (message.topic !== "cameras.status_changed") return;
    const p = statusById.get(message.camera_id);
    if (!p) return;
    p.status = message.status;
    markers.get(message.camera_id)?.setStyle({ color: STATUS_COLOURS[message.status] });
    redraw();
  });
  getJson("/api/camera-storage/forecast")
    .then((tiers) => {
      storage.textContent = tiers
        .map((t) => `${t.tier}: ${(t.used_bytes / 1e9).toFixed(1)} GB, ${formatDays(t.days_until_full)}`)
        .join(" · ");
    })
    .catch(() => {});
}

function register(warroom) {
  warroom.registerPanel("cameras", (slot) => render(slot, { map: warroom.map, onEvent: warroom.onEvent }));
}

if (window.warroom) register(window.warroom);
else document.addEventListener("warroom:ready", (event) => register(event.detail), { once: true });
