/**
 * The fleet pages (templates/fleet/*.html), chosen by <main data-page>:
 * - vehicles: table of every vehicle with search, type and status filters, live from /ws/fleet;
 * - vehicle:  one vehicle's day (WITA): track on a map, trips table, summary, CSV/XLSX links;
 * - replay:   tracks of one or several vehicles over a period, a time slider and Play.
 * Data: /api/fleet/vehicles, /api/fleet/live, /api/fleet/replay, /api/fleet/reports/{kind}.
 * A replay track cut at the server's row limit is named in the X-Truncated-Vehicles header;
 * both map pages then say so (#fleet-notice) rather than show part of a day as all of it.
 */

import {
  KIND_GLYPH,
  el,
  fetchJson,
  label,
  markerElementText,
  openLiveSocket,
  statusOf,
  vehicleIcon,
  witaTime,
} from "./fleet_common.js";

const page = document.getElementById("fleet-page");
const byId = (id) => document.getElementById(id);
const MAKASSAR = [-5.1477, 119.4327];
const PLAY_SPEED = 60; // replayed seconds per real second
const TRACK_COLOURS = 4;
const TRUNCATED_HEADER = "X-Truncated-Vehicles";

function todayWita() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
}

function dayPeriod(day) {
  const start = new Date(`${day}T00:00:00+08:00`);
  const end = new Date(start.getTime() + 86_400_000);
  return { start: start.toISOString(), end: end.toISOString() };
}

function makeMap(container) {
  if (!window.L || !container) return null;
  const map = L.map(container, { maxZoom: 19 });
  map.setView(MAKASSAR, 12);
  return map;
}

function cell(text) {
  return el("td", "", text === null || text === undefined ? "—" : String(text));
}

function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** GET /api/fleet/replay -> { tracks: {vehicle id: [fix]}, truncated: Set of vehicle ids }. */
async function fetchReplay(query) {
  const response = await fetch(`/api/fleet/replay?${query}`, { credentials: "same-origin" });
  if (response.status === 401) window.location.assign("/login");
  if (!response.ok) throw new Error(`history replay: HTTP ${response.status}`);
  const cut = (response.headers.get(TRUNCATED_HEADER) || "").split(",").filter(Boolean);
  return { tracks: await response.json(), truncated: new Set(cut) };
}

/** Say which tracks stop early, and from when the rest is missing. */
function showTruncation(replay, plateOf) {
  const notes = [...replay.truncated].map((id) => {
    const fixes = replay.tracks[id] || [];
    const until = fixes.length ? witaTime(fixes[fixes.length - 1].time) : "—";
    return `${plateOf(id)}: only the first ${fixes.length} positions are shown (up to ${until});`
      + " choose a shorter period to see the rest.";
  });
  const notice = byId("fleet-notice");
  notice.textContent = notes.join(" ");
  notice.hidden = notes.length === 0;
}

/** [first, last] fix time over tracks sorted by time, or null. A loop, not Math.min(...all):
 * a spread of more than ~125k values overflows the call stack (RangeError). */
function timeRange(tracks) {
  let first = Infinity;
  let last = -Infinity;
  for (const { fixes } of tracks) {
    if (!fixes.length) continue;
    first = Math.min(first, fixes[0].t);
    last = Math.max(last, fixes[fixes.length - 1].t);
  }
  return first <= last ? [first, last] : null;
}

async function vehiclesPage() {
  const [vehicles, live] = await Promise.all([
    fetchJson("/api/fleet/vehicles"),
    fetchJson("/api/fleet/live"),
  ]);
  const byVehicle = new Map(live.filter((row) => row.vehicle_id).map((row) => [row.vehicle_id, row]));
  const kind = byId("fleet-kind");
  for (const name of Object.keys(KIND_GLYPH)) kind.append(new Option(name.replace("_", " "), name));
  const draw = () => {
    const text = byId("fleet-search").value.toLowerCase();
    const wanted = byId("fleet-status").value;
    const rows = vehicles
      .map((vehicle) => ({ vehicle, state: byVehicle.get(vehicle.id) || { online: false } }))
      .filter(({ vehicle, state }) =>
        (!kind.value || vehicle.kind === kind.value) &&
        (!wanted || statusOf(state) === wanted) &&
        `${vehicle.plate} ${vehicle.name} ${vehicle.driver}`.toLowerCase().includes(text));
    byId("fleet-rows").replaceChildren(...rows.map(({ vehicle, state }) => vehicleRow(vehicle, state)));
    byId("fleet-empty").hidden = rows.length > 0;
  };
  for (const id of ["fleet-search", "fleet-kind", "fleet-status"]) byId(id).addEventListener("input", draw);
  draw();
  openLiveSocket((positions) => {
    for (const row of positions) if (row.vehicle_id) byVehicle.set(row.vehicle_id, row);
    draw();
  });
}

function vehicleRow(vehicle, state) {
  const row = el("tr");
  const plate = el("td");
  const link = el("a", "fleet-plate", vehicle.plate);
  link.href = `/fleet/vehicles/${vehicle.id}`;
  plate.append(link);
  const speed = state.speed_kmh === null || state.speed_kmh === undefined ? null : `${Math.round(state.speed_kmh)} km/h`;
  row.append(plate, cell(vehicle.name), cell(vehicle.kind), cell(vehicle.agency_code), cell(statusOf(state)),
    cell(speed), cell(witaTime(state.fix_time || state.time)));
  return row;
}

async function vehiclePage() {
  const id = page.dataset.vehicleId;
  // The day field and its listener are set up before the first await, so they are in place by
  // the page's load event: a day chosen while the vehicle is still loading is not lost.
  const day = byId("fleet-day");
  day.value = todayWita();
  let latest = 0; // only the newest load draws: an earlier, slower one must not overwrite it
  let track = null;
  const map = makeMap(byId("fleet-map"));
  const vehicleLoaded = fetchJson(`/api/fleet/vehicles/${id}`);
  const load = async () => {
    const mine = ++latest;
    const vehicle = await vehicleLoaded;
    const { start, end } = dayPeriod(day.value);
    const query = new URLSearchParams({ vehicle_id: id, start, end });
    const [trips, summary, replay] = await Promise.all([
      fetchJson(`/api/fleet/reports/trips?${query}`),
      fetchJson(`/api/fleet/reports/summary?${query}`),
      fetchReplay(query),
    ]);
    if (mine !== latest) return;
    byId("fleet-csv").href = `/api/fleet/reports/trips?${query}&format=csv`;
    byId("fleet-xlsx").href = `/api/fleet/reports/trips?${query}&format=xlsx`;
    byId("fleet-replay-link").href = `/fleet/replay?${query}`;
    showTruncation(replay, () => vehicle.plate);
    byId("fleet-trips").replaceChildren(...trips.map((trip) => {
      const row = el("tr");
      row.append(cell(witaTime(trip.start_time)), cell(witaTime(trip.end_time)), cell(trip.distance_km),
        cell(duration(trip.duration_s)), cell(duration(trip.idle_s)), cell(trip.max_speed_kmh), cell(trip.average_speed_kmh));
      return row;
    }));
    const s = summary[0];
    byId("fleet-summary").textContent = s
      ? `${s.distance_km} km · ${s.trips} trips · driving ${duration(s.driving_s)} · idle ${duration(s.idle_s)} · max ${s.max_speed_kmh ?? "—"} km/h`
      : "";
    const points = (replay.tracks[id] || []).map((p) => [p.lat, p.lon]);
    if (map) {
      track?.remove();
      track = L.polyline(points, { className: "fleet-track-0" }).addTo(map);
      if (points.length) map.fitBounds(track.getBounds(), { maxZoom: 16 });
    }
  };
  day.addEventListener("change", () => load().catch(reportFailure));
  const vehicle = await vehicleLoaded;
  byId("fleet-title").textContent = `${vehicle.plate} · ${vehicle.name || vehicle.kind}`;
  byId("fleet-details").textContent = [vehicle.kind, vehicle.agency_code, vehicle.driver && `driver ${vehicle.driver}`,
    vehicle.capabilities.join(", ")].filter(Boolean).join(" · ");
  await load();
}

/** Index of the last fix at or before `time` (fixes sorted by time). */
function fixAt(fixes, time) {
  let low = 0;
  let high = fixes.length - 1;
  if (high < 0 || fixes[0].t > time) return -1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (fixes[middle].t <= time) low = middle;
    else high = middle - 1;
  }
  return low;
}

async function replayPage() {
  const vehicles = await fetchJson("/api/fleet/vehicles");
  const select = byId("fleet-vehicles");
  for (const v of vehicles) select.append(new Option(`${v.plate} (${v.kind})`, v.id));
  const params = new URLSearchParams(window.location.search);
  const wita = (ms) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 16);
  const given = (name, fallback) => {
    const ms = new Date(params.get(name) || "").getTime();
    return wita(Number.isNaN(ms) ? fallback : ms);
  };
  byId("fleet-from").value = given("start", Date.now() - 3600_000);
  byId("fleet-to").value = given("end", Date.now());
  for (const option of select.options) option.selected = params.getAll("vehicle_id").includes(option.value);
  const map = makeMap(byId("fleet-map"));
  const slider = byId("fleet-slider");
  let tracks = [];
  let range = [0, 0];
  let timer = null;

  const show = () => {
    const time = range[0] + ((range[1] - range[0]) * Number(slider.value)) / 1000;
    byId("fleet-time").textContent = witaTime(new Date(time).toISOString());
    for (const track of tracks) {
      const index = fixAt(track.fixes, time);
      if (index < 0 || !track.marker) continue;
      const fix = track.fixes[index];
      track.marker.setLatLng([fix.lat, fix.lon]);
      const state = { ...track.vehicle, online: true, moving: (fix.speed_kmh || 0) > 5 };
      track.marker.setIcon(vehicleIcon(state));
      markerElementText(track.marker, state);
    }
  };

  byId("fleet-replay-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = [...select.selectedOptions].map((o) => o.value);
    const query = new URLSearchParams({
      start: new Date(`${byId("fleet-from").value}:00+08:00`).toISOString(),
      end: new Date(`${byId("fleet-to").value}:00+08:00`).toISOString(),
    });
    for (const id of chosen) query.append("vehicle_id", id);
    const replay = await fetchReplay(query);
    const vehicleOf = (id) => vehicles.find((v) => String(v.id) === id) || {};
    showTruncation(replay, (id) => label(vehicleOf(id)));
    for (const track of tracks) track.layer?.remove();
    tracks = chosen.map((id, n) => {
      const vehicle = vehicleOf(id);
      const fixes = (replay.tracks[id] || []).map((p) => ({ ...p, t: new Date(p.time).getTime() }));
      const track = { vehicle, fixes, layer: null, marker: null };
      if (map && fixes.length) {
        track.layer = L.layerGroup([
          L.polyline(fixes.map((f) => [f.lat, f.lon]), { className: `fleet-track-${n % TRACK_COLOURS}` }),
        ]).addTo(map);
        track.marker = L.marker([fixes[0].lat, fixes[0].lon], { icon: vehicleIcon(vehicle) });
        track.marker.bindTooltip(el("span", "", label(vehicle)));
        track.layer.addLayer(track.marker);
      }
      return track;
    });
    const span = timeRange(tracks);
    range = span || [0, 0];
    slider.disabled = !span;
    slider.value = "0";
    const bounds = tracks.filter((t) => t.layer).map((t) => t.layer.getLayers()[0].getBounds());
    if (map && bounds.length) map.fitBounds(bounds.reduce((a, b) => a.extend(b)), { maxZoom: 16 });
    show();
  });
  slider.addEventListener("input", show);
  byId("fleet-play").addEventListener("click", () => {
    if (timer) {
      clearInterval(timer);
      timer = null;
      return;
    }
    const step = range[1] > range[0] ? (1000 * PLAY_SPEED * 0.1 * 1000) / (range[1] - range[0]) : 1000;
    timer = setInterval(() => {
      slider.value = String(Math.min(1000, Number(slider.value) + step));
      show();
      if (Number(slider.value) >= 1000) {
        clearInterval(timer);
        timer = null;
      }
    }, 100);
  });
}

const PAGES = { vehicles: vehiclesPage, vehicle: vehiclePage, replay: replayPage };
function reportFailure(error) {
  console.error("fleet page failed", error);
  page.append(el("p", "fleet-message", `Could not load: ${error.message}`));
}

PAGES[page?.dataset.page]?.().catch(reportFailure);
