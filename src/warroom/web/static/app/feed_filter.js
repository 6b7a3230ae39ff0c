/**
 * The live feed's filter: which domains and which agency the event list shows. Remembered per
 * browser (localStorage). The same rule as the server's /ws/events?domains=&agency= filter
 * (web/feed_filter.py), applied in the page because the domain panels need every event.
 *
 * The form (templates/warroom.html) has one checkbox per domain and, for accounts that are not
 * partners, an agency select filled from GET /api/agencies when the account may read it.
 */

const STORAGE_KEY = "warroom.feedFilter";

function remembered() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? "null");
    return saved && typeof saved === "object" ? saved : {};
  } catch {
    return {}; // storage off or a value from an older page: start with everything
  }
}

function checkboxes(form) {
  return [...form.querySelectorAll('input[name="domain"]')];
}

function apply(form, saved) {
  if (Array.isArray(saved.domains) && saved.domains.length) {
    for (const box of checkboxes(form)) box.checked = saved.domains.includes(box.value);
  }
  if (form.agency && typeof saved.agency === "string") addAgency(form.agency, saved.agency);
}

function addAgency(select, code, label = code) {
  if (!code) return;
  if (![...select.options].some((option) => option.value === code)) {
    select.append(new Option(label, code));
  }
  if (!select.dataset.loaded) select.value = code;
}

async function loadAgencies(select) {
  const chosen = select.value;
  const response = await fetch("/api/agencies", { credentials: "same-origin" });
  if (!response.ok) return; // no right to list agencies: the saved choice stays usable
  for (const agency of await response.json()) {
    const known = [...select.options].find((option) => option.value === agency.code);
    if (known) known.textContent = agency.name;
    else select.append(new Option(agency.name, agency.code));
  }
  select.dataset.loaded = "true";
  select.value = chosen;
}

/** {domains: [...], agency: ""} from the form; every domain when none or all are ticked. */
export function readFilter(form) {
  const boxes = checkboxes(form);
  const ticked = boxes.filter((box) => box.checked).map((box) => box.value);
  const domains = ticked.length === boxes.length ? [] : ticked;
  return { domains, agency: form.agency ? form.agency.value : "" };
}

/** The predicate feed.js applies to {topic, agency}: the rule of web/feed_filter.py. */
export function matcher({ domains, agency }) {
  const wanted = new Set(domains);
  return ({ topic, agency: eventAgency }) =>
    (wanted.size === 0 || wanted.has(String(topic).split(".")[0])) &&
    (!agency || eventAgency === agency);
}

function describe({ domains, agency }) {
  const what = domains.length ? domains.join(", ") : "all events";
  return agency ? `${what} · ${agency}` : what;
}

/**
 * Wire the form. Calls `onChange(shows)` with a new predicate whenever the operator changes the
 * filter, and returns the predicate to start with.
 */
export function startFeedFilter({ form, state, onChange }) {
  apply(form, remembered());
  const update = (notify) => {
    const filter = readFilter(form);
    state.textContent = describe(filter);
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(filter));
    } catch {
      // storage off: the filter still applies until the page reloads
    }
    if (notify) onChange(matcher(filter));
    return matcher(filter);
  };
  form.addEventListener("change", (event) => {
    // At least one domain stays ticked: an empty feed by accident looks like an outage.
    if (event.target.name === "domain" && !checkboxes(form).some((box) => box.checked)) {
      event.target.checked = true;
    }
    update(true);
  });
  if (form.agency) loadAgencies(form.agency).catch(() => {});
  return update(false);
}
