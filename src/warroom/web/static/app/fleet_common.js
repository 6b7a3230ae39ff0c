/**
 * Shared by the fleet modules: DOM helpers, JSON fetch, vehicle icons and the /ws/fleet socket.
 *
 * GET /api/fleet/live -> [{vehicle_id, device_id, plate, name, kind, agency_code, online, moving,
 *   fix_time, lat, lon, speed_kmh, course}]
 * WebSocket /ws/fleet -> {"type": "positions", "positions": [same fields as above, "time"]}
 */

export const KIND_GLYPH = {
  ambulance: "A",
  fire_truck: "F",
  garbage_truck: "G",
  bus: "B",
  patrol_car: "P",
  official_car: "O",
  other: "•",
};

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export async function fetchJson(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (response.status === 401) {
    window.location.assign("/login");
    throw new Error(`${url}: not authenticated`);
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** Stylesheets may only come from this origin (CSP); add ours once. */
export function loadStyles() {
  if (document.querySelector("link[data-fleet-css]")) return;
  const link = el("link");
  link.rel = "stylesheet";
  link.href = "/static/app/fleet.css";
  link.dataset.fleetCss = "1";
  document.head.append(link);
}

export function statusOf(vehicle) {
  if (!vehicle.online) return "offline";
  return vehicle.moving ? "moving" : "stopped";
}

export function vehicleIcon(vehicle) {
  return L.divIcon({
    className: `fleet-icon fleet-kind-${vehicle.kind || "other"} fleet-status-${statusOf(vehicle)}`,
    html: "",
    iconSize: [22, 22],
    iconAnchor: [11, 11],
  });
}

/** The glyph goes in as text, never HTML (plates and names are user input). */
export function markerElementText(marker, vehicle) {
  const node = marker.getElement();
  if (node) node.textContent = KIND_GLYPH[vehicle.kind] || KIND_GLYPH.other;
}

export function label(vehicle) {
  return vehicle.plate || `device ${vehicle.device_id}`;
}

const WITA = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Makassar",
  dateStyle: "short",
  timeStyle: "medium",
});

export function witaTime(iso) {
  if (!iso) return "—";
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? "—" : `${WITA.format(moment)} WITA`;
}

/** Live position batches; reconnects with backoff. Returns a function that stops it. */
export function openLiveSocket(onPositions) {
  let socket = null;
  let stopped = false;
  let backoff = 1;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/fleet`);
    socket.addEventListener("open", () => {
      backoff = 1;
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "positions") onPositions(message.positions);
    });
    socket.addEventListener("close", (event) => {
      if (stopped) return;
      if (event.code === 4401) {
        window.location.assign("/login");
        return;
      }
      setTimeout(connect, backoff * 1000);
      backoff = Math.min(backoff * 2, 15);
    });
  };
  connect();
  return () => {
    stopped = true;
    socket?.close();
  };
}
