/**
 * War room page entry point: clock, map, live feed and the panel registry.
 *
 * Exposes window.warroom = { map, registerPanel(name, renderFn), onEvent(handler) } for later
 * domains; see panels.js for the contract. Fires document event "warroom:ready" once it exists.
 */

import { startClock } from "./clock.js";
import { startFeed } from "./feed.js";
import { startFeedFilter } from "./feed_filter.js";
import { createMap, loadMapData } from "./map.js";
import { createPanelRegistry } from "./panels.js";

const byId = (id) => document.getElementById(id);

const map = createMap(byId("map"));
const panels = createPanelRegistry({ container: document.querySelector(".panel-stack"), map });

startClock(byId("clock-time"), byId("clock-date"));
let feed = null;
const shows = startFeedFilter({
  form: byId("feed-filter-form"),
  state: byId("feed-filter-state"),
  onChange: (nextShows) => feed?.setFilter(nextShows),
});
feed = startFeed({
  list: byId("feed-list"),
  status: byId("feed-status"),
  empty: byId("feed-empty"),
  onEvent: panels.publish,
  shows,
});

window.warroom = Object.freeze({
  map,
  registerPanel: panels.registerPanel,
  onEvent: panels.onEvent,
});
document.dispatchEvent(new CustomEvent("warroom:ready", { detail: window.warroom }));

loadMapData(map);
