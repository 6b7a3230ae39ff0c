/**
 * Fleet on the war-room map: a marker per vehicle (glyph by type, colour by status) kept live
 * from /ws/fleet, and the side panel "fleet": counts, search, type and status filters, and a
 * list; clicking a vehicle centres the map on it. Pages: /fleet, /fleet/vehicles/{id},
 * /fleet/replay.
 */

import {
  KIND_GLYPH,
  el,
  fetchJson,
  label,
  loadStyles,
  markerElementText,
  openLiveSocket,
  statusOf,
  vehicleIcon,
} from "./fleet_common.js";

const STATUSES = ["moving", "stopped", "offline"];
const LIST_LIMIT = 200;

function createLayer(map) {
  const markers = new Map();
  const layer = map ? L.layerGroup().addTo(map) : null;
  const place = (vehicle) => {
    if (!layer || vehicle.lat === null || vehicle.lat === undefined) return;
    let marker = markers.get(vehicle.device_id);
    if (!marker) {
      marker = L.marker([vehicle.lat, vehicle.lon], { icon: vehicleIcon(vehicle), keyboard: false });
      marker.bindTooltip((layer) => el("span", "", tooltip(layer.fleetVehicle)));
      marker.addTo(layer);
      markers.set(vehicle.device_id, marker);
    } else {
      marker.setLatLng([vehicle.lat, vehicle.lon]);
      marker.setIcon(vehicleIcon(vehicle));
    }
    marker.fleetVehicle = vehicle;
    markerElementText(marker, vehicle);
  };
  return { place, markers };
}

function tooltip(vehicle) {
  const speed = vehicle.speed_kmh === null ? "" : ` · ${Math.round(vehicle.speed_kmh)} km/h`;
  return `${label(vehicle)} · ${vehicle.kind || "?"} · ${statusOf(vehicle)}${speed}`;
}

function filterControls(onChange) {
  const search = el("input", "field fleet-search");
  search.type = "search";
  search.placeholder = "Search plate or name";
  search.setAttribute("aria-label", "Search vehicles");
  const kind = el("select", "field fleet-filter");
  kind.setAttribute("aria-label", "Vehicle type");
  kind.append(new Option("All types", ""));
  for (const name of Object.keys(KIND_GLYPH)) kind.append(new Option(name.replace("_", " "), name));
  const status = el("select", "field fleet-filter");
  status.setAttribute("aria-label", "Status");
  status.append(new Option("Any status", ""));
  for (const name of STATUSES) status.append(new Option(name, name));
  for (const input of [search, kind, status]) input.addEventListener("input", onChange);
  const box = el("div", "fleet-filters");
  box.append(search, kind, status);
  const matches = (v) =>
    (!kind.value || v.kind === kind.value) &&
    (!status.value || statusOf(v) === status.value) &&
    (!search.value ||
      `${v.plate || ""} ${v.name || ""}`.toLowerCase().includes(search.value.toLowerCase()));
  return { box, matches };
}

function render(slot, ctx) {
  loadStyles();
  const vehicles = new Map();
  const layer = createLayer(ctx.map);
  const counts = el("p", "fleet-counts", "Loading vehicles…");
  const list = el("ul", "fleet-list");
  const filters = filterControls(() => redraw());
  const head = el("header", "panel-head");
  const title = el("h2", "panel-title", "Fleet");
  const pageLink = el("a", "fleet-link", "All vehicles");
  pageLink.href = "/fleet";
  head.append(title, pageLink);
  slot.append(head, counts, filters.box, list);

  const redraw = () => {
    const all = [...vehicles.values()];
    const tally = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const v of all) tally[statusOf(v)] += 1;
    counts.textContent = `${all.length} vehicles · ${tally.moving} moving · ${tally.stopped} stopped · ${tally.offline} offline`;
    const shown = all.filter(filters.matches).slice(0, LIST_LIMIT);
    list.replaceChildren(...shown.map((v) => listItem(v, ctx.map)));
  };
  let pending = false;
  const scheduleRedraw = () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      redraw();
    }, 1000);
  };
  const update = (rows) => {
    for (const row of rows) {
      const merged = { ...(vehicles.get(row.device_id) || {}), ...row };
      vehicles.set(row.device_id, merged);
      layer.place(merged);
    }
    scheduleRedraw();
  };
  return fetchJson("/api/fleet/live").then((rows) => {
    update(rows);
    redraw();
    openLiveSocket(update);
  });
}

function listItem(vehicle, map) {
  const item = el("li", `fleet-item fleet-status-${statusOf(vehicle)}`);
  const glyph = el("span", `fleet-glyph fleet-kind-${vehicle.kind || "other"}`, KIND_GLYPH[vehicle.kind] || "•");
  const link = el("a", "fleet-plate", label(vehicle));
  link.href = vehicle.vehicle_id ? `/fleet/vehicles/${vehicle.vehicle_id}` : "/fleet";
  const speed = vehicle.speed_kmh === null || vehicle.speed_kmh === undefined ? "" : `${Math.round(vehicle.speed_kmh)} km/h`;
  const state = el("span", "fleet-state", `${statusOf(vehicle)} ${speed}`.trim());
  item.append(glyph, link, state);
  if (map && vehicle.lat !== null && vehicle.lat !== undefined) {
    item.addEventListener("click", (event) => {
      if (event.target === link) return;
      map.setView([vehicle.lat, vehicle.lon], Math.max(map.getZoom(), 15));
    });
  }
  return item;
}

function register(warroom) {
  warroom.registerPanel("fleet", render);
}

if (window.warroom) register(window.warroom);
else document.addEventListener("warroom:ready", (event) => register(event.detail), { once: true });
