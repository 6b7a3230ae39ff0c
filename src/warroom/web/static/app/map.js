/**
 * The city map (Leaflet, loaded as the global `L` from /static/vendor/leaflet/).
 *
 * GET /api/map/config -> {"tiles": {"kind": "none"|"url"|"pmtiles", "url", "attribution"},
 *                         "center": [lat, lon], "zoom": int}
 * GET /api/geo/regions.geojson -> FeatureCollection of the kecamatan (Points = approximate
 * centroids, or Polygons); properties: code, name, level, approximate, figures[].
 *
 * Every region's SVG element carries data-region-code. Figures are only ever shown with their
 * year and source.
 */

const MAKASSAR = { center: [-5.1477, 119.4327], zoom: 12 };
const NO_TILES = { kind: "none", url: "", attribution: "" };
const MAX_ZOOM = 19;
const MARKER_RADIUS = 11;
const MIN_MARKER_RADIUS = 5;
const numberFormat = new Intl.NumberFormat("en-US");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

async function fetchJson(url) {
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

/** Bottom-left note box: region kind, base-map state and load problems. */
function createLegend(map) {
  const legend = L.control({ position: "bottomleft" });
  const box = el("div", "map-legend");
  legend.onAdd = () => box;
  legend.addTo(map);
  return {
    note(text, kind = "info") {
      box.append(el("p", `map-legend-line map-legend-${kind}`, text));
    },
  };
}

/** Create the map now (so panels can use it); layers arrive with loadMapData(). */
export function createMap(container) {
  if (!window.L) {
    container.append(el("p", "map-message", "Map library missing: run `make` (vendor assets)."));
    return null;
  }
  const map = L.map(container, { zoomControl: true, maxZoom: MAX_ZOOM, preferCanvas: false });
  map.attributionControl.setPrefix("Leaflet");
  map.setView(MAKASSAR.center, MAKASSAR.zoom);
  return map;
}

function tileLayer(tiles) {
  const options = { attribution: tiles.attribution || "", maxZoom: MAX_ZOOM };
  if (tiles.kind === "url") return L.tileLayer(tiles.url, options);
  if (tiles.kind === "pmtiles") {
    if (!window.pmtiles) throw new Error("pmtiles library missing");
    return window.pmtiles.leafletRasterLayer(new window.pmtiles.PMTiles(tiles.url), options);
  }
  return null;
}

function humanize(indicator) {
  const text = String(indicator).replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function formatValue(value) {
  return typeof value === "number" ? numberFormat.format(value) : String(value);
}

/** Figures without a year or a source are not shown at all. Newest first. */
function citedFigures(figures) {
  return (Array.isArray(figures) ? figures : [])
    .filter((f) => f && f.year != null && f.source && f.value != null)
    .sort((a, b) => Number(b.year) - Number(a.year));
}

function popupContent(props) {
  const body = el("div", "region-popup-body");
  body.append(el("h3", "region-name", props.name));
  body.lastChild.lang = "id";
  const level = props.level ? ` · ${props.level}` : "";
  body.append(el("p", "region-code", `${props.code}${level}`));
  if (props.approximate) body.append(el("p", "region-approx", "Location: approximate centroid"));
  const figures = citedFigures(props.figures);
  if (figures.length === 0) {
    body.append(el("p", "region-nofigures", "No figures with year and source."));
    return body;
  }
  const list = el("ul", "figures");
  for (const f of figures) {
    const item = el("li", "figure");
    const head = el("div", "figure-head");
    head.append(
      el("span", "figure-label", `${humanize(f.indicator)} (${f.year})`),
      el("span", "figure-value", `${formatValue(f.value)}${f.unit ? ` ${f.unit}` : ""}`),
    );
    item.append(head, el("div", "figure-source", `Source: ${f.source}`));
    list.append(item);
  }
  body.append(list);
  return body;
}

function regionLayer(collection) {
  return L.geoJSON(collection, {
    pointToLayer: (feature, latlng) =>
      L.circleMarker(latlng, { radius: MARKER_RADIUS, className: "region-marker" }),
    style: (feature) =>
      feature.geometry?.type === "Point"
        ? { color: "#7fd3ff", weight: 2, fillColor: "#2a8fd0", fillOpacity: 0.55 }
        : { color: "#7fd3ff", weight: 2, fillColor: "#2a8fd0", fillOpacity: 0.12 },
    onEachFeature: (feature, layer) => {
      const props = feature.properties || {};
      const isPoint = feature.geometry?.type === "Point";
      layer.bindPopup(() => popupContent(props), { className: "region-popup", maxWidth: 380 });
      layer.bindTooltip(props.name ?? props.code, {
        permanent: true,
        direction: isPoint ? "right" : "center",
        offset: isPoint ? [MARKER_RADIUS, 0] : [0, 0],
        className: "region-label",
      });
    },
  });
}

/** The leaf layers (markers, polygons) of a GeoJSON layer, in feature order. */
function leafLayers(layer) {
  return layer.getLayers().flatMap((child) => (child.getLayers ? leafLayers(child) : [child]));
}

function overlaps(a, b) {
  return !(a.right < b.left || a.left > b.right || a.bottom < b.top || a.top > b.bottom);
}

/**
 * Kecamatan centroids in the city centre are about 1 km apart, so at city-wide zoom their
 * permanent labels collide: hide each label that overlaps one already shown (feature order).
 * A hidden label still shows while the pointer is over its region.
 */
function declutterLabels(layer) {
  const shown = [];
  for (const child of leafLayers(layer)) {
    const label = child.getTooltip()?.getElement();
    if (!label) continue;
    label.classList.remove("is-crowded");
    const box = label.getBoundingClientRect();
    if (shown.some((other) => overlaps(box, other))) label.classList.add("is-crowded");
    else shown.push(box);
  }
}

function revealLabelOnHover(layer) {
  for (const child of leafLayers(layer)) {
    const toggle = (on) => child.getTooltip()?.getElement()?.classList.toggle("is-hovered", on);
    child.on("mouseover", () => toggle(true));
    child.on("mouseout", () => toggle(false));
  }
}

/** Centroid markers shrink when zoomed out so the dense city centre stays readable. */
function markerRadius(zoom) {
  return Math.max(MIN_MARKER_RADIUS, Math.min(MARKER_RADIUS, MARKER_RADIUS - 2 * (13 - zoom)));
}

function scaleMarkers(map, layer) {
  const radius = markerRadius(map.getZoom());
  for (const child of leafLayers(layer)) {
    if (child.setRadius) child.setRadius(radius);
  }
}

/** Tag each region's SVG element (after it is on the map) so tests and CSS can find it. */
function tagRegionElements(layer) {
  layer.eachLayer((child) => {
    if (child.eachLayer) return tagRegionElements(child);
    const element = child.getElement?.();
    if (!element) return;
    const props = child.feature?.properties || {};
    element.setAttribute("data-region-code", props.code ?? "");
    if (child.feature?.geometry?.type !== "Point") element.classList.add("region-area");
  });
}

async function loadTiles(map, legend) {
  let config = { tiles: NO_TILES, ...MAKASSAR };
  try {
    config = { ...config, ...(await fetchJson("/api/map/config")) };
  } catch (error) {
    console.error(error);
    legend.note("Map settings unavailable", "warning");
  }
  map.setView(config.center, config.zoom);
  try {
    const layer = tileLayer(config.tiles || NO_TILES);
    if (layer) layer.addTo(map);
    else legend.note("No base map configured");
  } catch (error) {
    console.error(error);
    legend.note("Base map unavailable", "warning");
  }
}

async function loadRegions(map, legend) {
  let collection;
  try {
    collection = await fetchJson("/api/geo/regions.geojson");
  } catch (error) {
    console.error(error);
    legend.note("Regions unavailable", "warning");
    return;
  }
  const layer = regionLayer(collection).addTo(map);
  tagRegionElements(layer);
  revealLabelOnHover(layer);
  map.on("zoomend", () => {
    scaleMarkers(map, layer);
    requestAnimationFrame(() => declutterLabels(layer));
  });
  const features = collection.features || [];
  if (features.some((f) => f.properties?.approximate)) {
    legend.note("Regions: centroids (approximate)");
  }
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [48, 48], maxZoom: 14, animate: false });
  scaleMarkers(map, layer);
  declutterLabels(layer);
}

/** Routing runs on a synthetic road network until an OSM extract is configured: say so. */
async function noteRoadNetwork(legend) {
  try {
    const network = await fetchJson("/api/geo/network");
    if (network.synthetic) legend.note("Roads: synthetic network (not real streets)", "warning");
  } catch (error) {
    console.error(error);
  }
}

/** Load the base map, then the regions. Safe to call once per map. */
export async function loadMapData(map) {
  if (!map) return;
  const legend = createLegend(map);
  await loadTiles(map, legend);
  await loadRegions(map, legend);
  await noteRoadNetwork(legend);
}
