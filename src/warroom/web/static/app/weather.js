/**
 * Weather: the war-room panel and map layers (stations with latest values, CAP warning polygons,
 * earthquakes), and the station page's charts (uPlot, from npm, vendored) and climate tables.
 * Data: /api/weather/*. Built with DOM APIs only (CSP: no inline script or style).
 */

const REFRESH_MS = 30_000;
const WITA = { timeZone: "Asia/Makassar", hour: "2-digit", minute: "2-digit" };

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function age(seconds) {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function latestText(station) {
  return station.latest
    .map((v) => `${v.quantity} ${v.value} ${v.unit}${v.flags.length ? " ⚑" : ""} (${age(v.age_seconds)})`)
    .join(" · ");
}

function renderPanel(slot, ctx) {
  const L = window.L;
  const stationLayer = L.layerGroup().addTo(ctx.map);
  const warningLayer = L.layerGroup().addTo(ctx.map);
  const quakeLayer = L.layerGroup().addTo(ctx.map);
  const head = el("header", undefined, "panel-head");
  head.append(el("h2", "Weather", "panel-title"));
  const alertList = el("ul", undefined, "weather-alerts");
  const stationList = el("ul", undefined, "weather-stations");
  slot.append(head, alertList, stationList);

  const refresh = async () => {
    const [stations, alerts, warnings, quakes] = await Promise.all([
      getJson("/api/weather/stations"),
      getJson("/api/weather/alerts"),
      getJson("/api/weather/warnings.geojson"),
      getJson("/api/weather/earthquakes?limit=20"),
    ]);
    stationLayer.clearLayers();
    stationList.replaceChildren();
    for (const station of stations) {
      const marker = L.circleMarker([station.lat, station.lon], { radius: 6, className: `weather-marker weather-${station.kind}` });
      marker.bindTooltip(`${station.name}: ${latestText(station) || "no data"}`);
      marker.on("click", () => window.location.assign(`/weather/stations/${station.id}`));
      stationLayer.addLayer(marker);
      const item = el("li");
      const link = el("a", station.name);
      link.href = `/weather/stations/${station.id}`;
      item.append(link, el("span", ` ${latestText(station) || "no data"}`, "weather-latest"));
      stationList.append(item);
    }
    alertList.replaceChildren(
      ...alerts.map((a) => el("li", `${a.level.toUpperCase()} · ${a.title}${a.kecamatan_approximate ? " (approx. kecamatan)" : ""}`, `weather-alert weather-alert-${a.kind}`)),
    );
    warningLayer.clearLayers();
    warningLayer.addLayer(L.geoJSON(warnings, { className: "weather-warning" }).bindTooltip((layer) => layer.feature.properties.headline));
    quakeLayer.clearLayers();
    for (const q of quakes) {
      const when = new Date(q.occurred_at).toLocaleTimeString("id-ID", WITA);
      quakeLayer.addLayer(L.circleMarker([q.lat, q.lon], { radius: 3 + q.magnitude, className: "weather-quake" }).bindTooltip(`M${q.magnitude} · ${when} WITA · ${q.region}`));
    }
  };
  const safeRefresh = () => refresh().catch((error) => console.error("weather refresh failed", error));
  ctx.onEvent((message) => {
    if (message.topic && message.topic.startsWith("weather.")) safeRefresh();
  });
  setInterval(safeRefresh, REFRESH_MS);
  return refresh();
}

function chart(container, title, times, values, unit) {
  const box = el("figure", undefined, "weather-chart");
  box.append(el("figcaption", title));
  container.append(box);
  if (!window.uPlot || times.length === 0) {
    box.append(el("p", times.length ? "Charts need the uPlot asset." : "No readings."));
    return;
  }
  new window.uPlot({ width: 640, height: 200, series: [{}, { label: unit, stroke: "#4fc3f7" }] }, [times, values], box);
}

async function renderStationPage(root) {
  const id = root.dataset.stationId;
  const station = await getJson(`/api/weather/stations/${id}`);
  const latestBody = document.querySelector("#weather-latest tbody");
  latestBody.replaceChildren(...station.latest.map((v) => {
    const row = el("tr");
    row.append(el("th", v.quantity), el("td", `${v.value} ${v.unit}`), el("td", `${age(v.age_seconds)} ago`), el("td", v.flags.join(", ")));
    return row;
  }));
  const charts = document.getElementById("weather-charts");
  for (const quantity of root.dataset.quantities.split(",").filter(Boolean)) {
    const rows = await getJson(`/api/weather/stations/${id}/observations?quantity=${quantity}`);
    chart(charts, quantity, rows.map((r) => Date.parse(r.observed_at) / 1000), rows.map((r) => r.value), quantity);
  }
  const select = document.getElementById("weather-quantity");
  const showClimate = async () => {
    const quantity = select.value;
    document.getElementById("weather-daily-csv").href = `/api/weather/stations/${id}/daily?quantity=${quantity}&format=csv`;
    document.getElementById("weather-monthly-csv").href = `/api/weather/stations/${id}/monthly?quantity=${quantity}&format=csv`;
    const daily = await getJson(`/api/weather/stations/${id}/daily?quantity=${quantity}`);
    const dailyBox = document.getElementById("weather-daily-chart");
    dailyBox.replaceChildren();
    const value = (d) => (quantity === "rain_mm" ? d.total : d.mean);
    chart(dailyBox, `Daily ${quantity}`, daily.map((d) => Date.parse(d.day) / 1000), daily.map(value), quantity);
    const monthly = await getJson(`/api/weather/stations/${id}/monthly?quantity=${quantity}`);
    document.querySelector("#weather-monthly tbody").replaceChildren(...monthly.map((m) => {
      const row = el("tr");
      row.append(el("td", m.month), el("td", String(m.days)), el("td", String(m.value)), el("td", m.normal ?? "–"), el("td", m.anomaly ?? "–"));
      return row;
    }));
  };
  select.addEventListener("change", () => showClimate().catch(console.error));
  await showClimate();
}

const stationRoot = document.getElementById("weather-station");
if (stationRoot) {
  renderStationPage(stationRoot).catch((error) => console.error("weather station page failed", error));
} else {
  const register = (warroom) => warroom.registerPanel("weather", renderPanel);
  if (window.warroom) register(window.warroom);
  else document.addEventListener("warroom:ready", (event) => register(event.detail), { once: true });
}
