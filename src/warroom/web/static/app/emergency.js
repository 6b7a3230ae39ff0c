/**
 * CARESTER 112 in the browser: the incidents panel and map layer of the war room, and the
 * emergency pages (call-taker form, dispatcher board, incident page). One module: it looks at
 * the page it was loaded into. DOM APIs only (CSP: no inline script or style).
 */

const API = "/api/emergency";
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options, headers: { ...(options.headers ?? {}) } };
  if (init.method && init.method !== "GET") init.headers["X-CSRF-Token"] = csrf();
  if (init.body && typeof init.body !== "string") {
    init.body = JSON.stringify(init.body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(API + path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail ?? data));
  return data;
}

const el = (tag, text, attrs = {}) => {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
};
const row = (cells, attrs) => {
  const tr = el("tr", null, attrs);
  for (const cell of cells) tr.append(cell instanceof Node ? wrap(cell) : el("td", cell));
  return tr;
};
const wrap = (node) => { const td = el("td"); td.append(node); return td; };
const wita = (iso) => iso ? new Date(iso).toLocaleTimeString("id-ID", { timeZone: "Asia/Makassar" }) : "";
const minutes = (s) => `${(s / 60).toFixed(1)} min`;

/* ---------- dispatcher board ---------- */
function board(root) {
  const incidents = root.querySelector("#em-incidents tbody");
  const recs = root.querySelector("#em-recs tbody");
  const recError = root.querySelector("#em-rec-error");
  const unitsBody = root.querySelector("#em-units tbody");
  const canDispatch = root.dataset.canDispatch === "yes";
  let selected = null;
  let rows = [];

  const showRecs = async (id) => {
    selected = id;
    rows.forEach((tr) => tr.setAttribute("aria-selected", String(tr.dataset.id === String(id))));
    recs.replaceChildren();
    recError.textContent = "";
    if (!canDispatch) return;
    try {
      const list = await api(`/incidents/${id}/recommendations`);
      list.forEach((r, i) => {
        const button = el("button", `Assign (${i + 1})`, { class: "button", type: "button" });
        button.addEventListener("click", () => assign(id, r.unit_id));
        recs.append(row([r.callsign, r.agency_code, minutes(r.eta_s), `${(r.distance_m / 1000).toFixed(1)} km`, button]));
      });
      if (!list.length) recError.textContent = "No available unit with the required capabilities.";
    } catch (error) { recError.textContent = error.message; }
  };

  const assign = async (incidentId, unitId) => {
    try {
      await api(`/incidents/${incidentId}/assign`, { method: "POST", body: { unit_ids: [unitId] } });
      await refresh();
    } catch (error) { recError.textContent = error.message; }
  };

  const refresh = async () => {
    const [open, units] = await Promise.all([api("/incidents?open=true"), api("/units")]);
    rows = open.map((i) => {
      const link = el("a", i.id, { href: `/emergency/incidents/${i.id}` });
      const tr = row([link, `P${i.priority}`, i.type, i.status, i.kecamatan ?? "", wita(i.first_call_at)],
        { "data-id": i.id, tabindex: "0", class: `p${i.priority}` });
      tr.addEventListener("click", () => showRecs(i.id));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") showRecs(i.id); });
      return tr;
    });
    incidents.replaceChildren(...rows);
    unitsBody.replaceChildren(...units.map((u) => row([u.callsign, u.agency_code, u.status, wita(u.status_at), u.incident_id ?? ""])));
    if (selected !== null) rows.forEach((tr) => tr.setAttribute("aria-selected", String(tr.dataset.id === String(selected))));
  };

  document.addEventListener("keydown", (e) => {
    if (selected === null || !/^[1-9]$/.test(e.key) || e.target.tagName === "INPUT") return;
    recs.querySelectorAll("button")[Number(e.key) - 1]?.click();
  });
  refresh();
  setInterval(refresh, 5000);
}

/* ---------- call-taker form ---------- */
async function callForm(root) {
  const form = root.querySelector("#em-call-form");
  const typeSelect = form.querySelector("#em-type");
  const questions = form.querySelector("#em-questions");
  const duplicates = form.querySelector("#em-duplicates");
  const error = form.querySelector("#em-call-error");
  const ok = form.querySelector("#em-call-ok");
  const types = await api("/types");
  typeSelect.append(el("option", "—", { value: "" }));
  for (const t of types.incident_types) typeSelect.append(el("option", `${t.label_id} (P${t.priority})`, { value: t.code }));

  const showQuestions = () => {
    const spec = types.incident_types.find((t) => t.code === typeSelect.value);
    questions.replaceChildren(el("legend", "Questions"));
    (spec?.questions ?? []).forEach((q, i) => {
      const label = el("label", q);
      label.append(el("input", null, { name: `q${i}`, "data-question": q }));
      questions.append(label);
    });
  };
  const checkDuplicates = async () => {
    const lat = parseFloat(form.lat.value), lon = parseFloat(form.lon.value);
    duplicates.replaceChildren();
    form.dataset.link = "";
    if (!typeSelect.value || Number.isNaN(lat) || Number.isNaN(lon)) return;
    const found = await api(`/duplicates?type=${typeSelect.value}&lat=${lat}&lon=${lon}`).catch(() => []);
    for (const d of found) {
      const button = el("button", `Link to incident ${d.incident_id} (${Math.round(d.distance_m)} m, ${d.minutes_since_last_call} min ago)`, { type: "button", class: "button" });
      button.addEventListener("click", () => { form.dataset.link = d.incident_id; ok.textContent = `Will link to incident ${d.incident_id}`; });
      duplicates.append(el("li")); duplicates.lastChild.append(button);
    }
  };
  const readAml = async () => {
    if (!form.aml.value.trim()) return;
    try {
      const found = await api("/aml", { method: "POST", body: form.aml.value, headers: { "Content-Type": "text/plain" } });
      form.lat.value = found.lat; form.lon.value = found.lon;
      ok.textContent = `AML ${found.transport}: ±${found.accuracy_m ?? "?"} m, ${found.kecamatan ?? ""}`;
      checkDuplicates();
    } catch (e) { error.textContent = e.message; }
  };
  typeSelect.addEventListener("change", () => { showQuestions(); checkDuplicates(); });
  form.aml.addEventListener("change", readAml);
  form.lat.addEventListener("change", checkDuplicates);
  form.lon.addEventListener("change", checkDuplicates);
  form.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.ctrlKey) form.requestSubmit(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = ""; ok.textContent = "";
    const answers = {};
    questions.querySelectorAll("input").forEach((i) => { if (i.value) answers[i.dataset.question] = i.value; });
    const lat = parseFloat(form.lat.value), lon = parseFloat(form.lon.value);
    const body = {
      caller_number: form.caller_number.value, call_type: form.call_type.value,
      incident_type: typeSelect.value || null, address: form.address.value,
      language: form.language.value, notes: form.notes.value, answers,
      location: Number.isNaN(lat) || Number.isNaN(lon) ? null : { lat, lon },
      incident_id: form.dataset.link ? Number(form.dataset.link) : null,
    };
    try {
      const call = await api("/calls", { method: "POST", body });
      ok.textContent = call.incident_id ? `Saved; incident ${call.incident_id}` : `Saved call ${call.id}`;
      form.reset(); form.dataset.link = ""; showQuestions(); duplicates.replaceChildren();
      form.caller_number.focus();
    } catch (err) { error.textContent = err.message; }
  });
}

/* ---------- incident page ---------- */
const NEXT = { on_scene: ["transporting", "resolved"], transporting: ["resolved"], resolved: ["closed"],
  new: ["cancelled"], dispatched: ["cancelled"], en_route: ["cancelled"] };

async function incidentPage(root) {
  const id = root.dataset.incidentId;
  const facts = root.querySelector("#em-inc-facts");
  const actions = root.querySelector("#em-inc-actions");
  const timeline = root.querySelector("#em-timeline");
  const error = root.querySelector("#em-inc-error");
  const load = async () => {
    const i = await api(`/incidents/${id}`);
    facts.replaceChildren();
    for (const [k, v] of [["Type", i.type], ["Priority", `P${i.priority}`], ["Status", i.status],
      ["Kecamatan", i.kecamatan ?? ""], ["Kelurahan", i.kelurahan ?? ""], ["Address", i.address],
      ["Position", `${i.lat.toFixed(5)}, ${i.lon.toFixed(5)}`], ["Calls", i.calls.length],
      ["Units", i.assignments.map((a) => a.unit_id).join(", ")], ["Breaches", i.breaches.join(", ")]]) {
      facts.append(el("dt", k), el("dd", v));
    }
    actions.replaceChildren();
    if (root.dataset.canWrite === "yes") {
      for (const status of NEXT[i.status] ?? []) {
        const b = el("button", status, { class: "button", type: "button" });
        b.addEventListener("click", async () => {
          try { await api(`/incidents/${id}/status`, { method: "POST", body: { status } }); load(); }
          catch (e) { error.textContent = e.message; }
        });
        actions.append(b);
      }
    }
    timeline.replaceChildren(...i.timeline.map((e) => el("li", `${wita(e.at)} ${e.actor}: ${e.text}`)));
  };
  root.querySelector("#em-note-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await api(`/incidents/${id}/notes`, { method: "POST", body: { text: e.target.text.value } }); e.target.reset(); load(); }
    catch (err) { error.textContent = err.message; }
  });
  load().catch((e) => { error.textContent = e.message; });
}

/* ---------- war room: incidents panel and map layer ---------- */
function warroomPanel(warroom) {
  warroom.registerPanel("incidents", async (slot, ctx) => {
    const head = el("header", null, { class: "panel-head" });
    head.append(el("h2", "112 incidents", { class: "panel-title" }), el("a", "Board", { href: "/emergency" }));
    const list = el("ul", null, { class: "em-panel-list" });
    slot.append(head, list);
    const L = window.L;
    const layer = L && ctx.map ? L.layerGroup().addTo(ctx.map) : null;
    const refresh = async () => {
      const open = await api("/incidents?open=true").catch(() => []);
      list.replaceChildren(...open.map((i) => {
        const item = el("li");
        item.append(el("a", `P${i.priority} ${i.type} · ${i.status} · ${i.kecamatan ?? ""}`, { href: `/emergency/incidents/${i.id}` }));
        return item;
      }));
      if (layer) {
        layer.clearLayers();
        for (const i of open) {
          L.circleMarker([i.lat, i.lon], { radius: 9 - i.priority, color: i.priority === 1 ? "#ff4040" : "#ffb000" })
            .bindTooltip(`#${i.id} ${i.type} (P${i.priority}) ${i.status}`).addTo(layer);
        }
      }
    };
    await refresh();
    ctx.onEvent((message) => {
      if (message.topic?.startsWith("emergency.")) refresh();
      if (message.topic === "emergency.target_breached") {
        list.prepend(el("li", `Target missed: ${message.metric} #${message.incident_id ?? message.call_id}`, { class: "em-breach" }));
      }
    });
  });
}

const page = document.querySelector("[data-emergency-page]");
if (page?.dataset.emergencyPage === "board") board(page);
else if (page?.dataset.emergencyPage === "call") callForm(page);
else if (page?.dataset.emergencyPage === "incident") incidentPage(page);
else if (window.warroom) warroomPanel(window.warroom);
else document.addEventListener("warroom:ready", (e) => warroomPanel(e.detail), { once: true });
