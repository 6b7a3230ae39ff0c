/**
 * Panel registry: how later domains (incidents, fleet, cameras, weather, ...) put a panel into
 * the war room's side panel without editing this page's code.
 *
 * A domain ships its own module, loaded after main.js (a later <script type="module">), and calls
 *
 *     window.warroom.registerPanel("weather", (slot, ctx) => {
 *       slot.append(myHeading, myList);                 // build with DOM APIs, not inline styles
 *       const off = ctx.onEvent((message) => {          // every live event from /ws/events
 *         if (message.topic.startsWith("weather.")) update(message);
 *       });
 *       // ctx.map is the Leaflet map (add layers to it)
 *     });
 *
 * - `slot` is `<section class="panel-slot" data-panel="NAME">`: the template has empty, hidden
 *   slots for incidents, fleet, cameras and weather; other names get a new slot appended.
 * - The slot is shown once renderFn has returned (or its Promise resolved); if it throws, the
 *   slot stays hidden and the error is logged. Registering a name again re-renders it.
 * - `ctx.onEvent(handler)` returns a function that unsubscribes.
 * - Start the slot with `<header class="panel-head">` (title, links): the registry adds a
 *   collapse toggle to it, and a collapsed panel shows only that head (remembered per browser).
 * - Code that may run before main.js can wait for `document` event "warroom:ready"
 *   (its detail is window.warroom).
 */

const COLLAPSED_KEY = "warroom.collapsedPanels";

function collapsedPanels() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(COLLAPSED_KEY) ?? "[]");
    return new Set(Array.isArray(saved) ? saved : []);
  } catch {
    return new Set(); // storage off or an old value: every panel open
  }
}

function rememberCollapsed(name, collapsed) {
  const names = collapsedPanels();
  if (collapsed) names.add(name);
  else names.delete(name);
  try {
    window.localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...names]));
  } catch {
    // storage off: the choice lasts until the page reloads
  }
}

/** A toggle in the panel's head; a panel without a head cannot collapse. */
function addCollapseToggle(name, slot) {
  const head = slot.querySelector(":scope > .panel-head");
  if (!head) return;
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "panel-toggle";
  const apply = (collapsed) => {
    slot.toggleAttribute("data-collapsed", collapsed);
    toggle.setAttribute("aria-expanded", String(!collapsed));
    toggle.setAttribute("aria-label", `${collapsed ? "Show" : "Hide"} ${name}`);
  };
  toggle.addEventListener("click", () => {
    const collapsed = !slot.hasAttribute("data-collapsed");
    apply(collapsed);
    rememberCollapsed(name, collapsed);
  });
  apply(collapsedPanels().has(name));
  head.append(toggle);
}

export function createPanelRegistry({ container, map }) {
  const subscribers = new Set();

  const onEvent = (handler) => {
    subscribers.add(handler);
    return () => subscribers.delete(handler);
  };

  /** Deliver one live event to every subscriber; one failing panel does not stop the others. */
  const publish = (message) => {
    for (const handler of subscribers) {
      try {
        handler(message);
      } catch (error) {
        console.error("panel event handler failed", error);
      }
    }
  };

  const slotFor = (name) => {
    const existing = container.querySelector(`.panel-slot[data-panel="${CSS.escape(name)}"]`);
    if (existing) return existing;
    const slot = document.createElement("section");
    slot.className = "panel-slot";
    slot.dataset.panel = name;
    slot.hidden = true;
    const lastSlot = [...container.querySelectorAll(".panel-slot")].at(-1);
    if (lastSlot) lastSlot.after(slot);
    else container.prepend(slot);
    return slot;
  };

  const registerPanel = async (name, renderFn) => {
    const slot = slotFor(name);
    slot.replaceChildren();
    slot.hidden = true;
    try {
      await renderFn(slot, { map, onEvent });
      addCollapseToggle(name, slot);
      slot.hidden = false;
    } catch (error) {
      console.error(`panel "${name}" failed to render`, error);
    }
  };

  return { registerPanel, onEvent, publish };
}
