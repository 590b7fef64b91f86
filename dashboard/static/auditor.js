// The auditor's page: the whole board as it stood at any instant, drawn by
// the live board's own panels from GET /board/replay (the same replay as
// `edflow replay`, and an audited read). A slider and a date-time picker
// choose the instant; previous/next step from event to event; events can be
// taken by recorded time (what the live board showed) or occurred time (what
// really happened), with marks where the two differ; two instants can be
// compared (who came, who left, which beds changed).

import { clock, h, localDay, replace } from "./dom.js";
import { drawAppointments, drawBeds, drawCapacity, drawMetrics, drawWaiting } from "./panels.js";

const TOKEN_KEY = "edflow.auditor.token";
const FACILITY_KEY = "edflow.auditor.facility";
const $ = (id) => document.getElementById(id);
let current = null;   // the last answer
let pending = 0;
let debounce = null;

async function fetchBoard(atIso) {
  const url = new URL("/board/replay", location.href);
  url.searchParams.set("facility", sessionStorage.getItem(FACILITY_KEY));
  url.searchParams.set("at", atIso);
  url.searchParams.set("by", $("by").value);
  const response = await fetch(url, { headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
  return body;
}

const entityMap = (view) => new Map(view.entities.map((c) => [`${c.kind}|${c.id}`, c.value]));
const toLocalInput = (ms) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000); return d.toISOString().slice(0, 19); };
const fromLocalInput = (value) => new Date(value).toISOString();

async function load(atIso) {
  const ticket = ++pending;
  $("state").textContent = "replaying…";
  try {
    const view = await fetchBoard(atIso);
    if (ticket !== pending) return;  // a newer instant was asked for
    current = view;
    draw(view);
    $("state").textContent = `${view.events_folded} events folded`;
  } catch (error) {
    if (ticket === pending) $("state").textContent = `cannot replay: ${error.message}`;
  }
}

function draw(view) {
  const entities = entityMap(view);
  const at = Date.parse(view.as_of);
  const zone = view.time_zone;
  $("board").hidden = false;
  $("as-of").textContent = `as of ${new Date(at).toLocaleString([], { timeZone: zone, timeZoneName: "short" })}`;
  $("as-of").dataset.at = view.as_of;
  $("waiting-count").textContent = `(${drawWaiting($("waiting-rows"), entities, at, null, () => {})})`;
  drawBeds($("units"), entities, at, () => null);
  drawCapacity($("capacity"), entities.get("capacity|ed"));
  drawMetrics($("metrics"), entities.get("metrics|today"));
  drawAppointments($("appointments"), entities, localDay(view.as_of, zone), zone);
  const ev = view.events;
  if (ev.first && ev.last) {
    const slider = $("slider");
    slider.min = String(Date.parse(ev.first));
    slider.max = String(Math.max(Date.parse(ev.last), at));
    slider.value = String(at);
    drawTicks(ev.marks, Number(slider.min), Number(slider.max));
  }
  $("at").value = toLocalInput(at);
  $("prev").disabled = !ev.previous;
  $("next").disabled = !ev.next;
  $("marks-count").textContent = `(${ev.marks.length})`;
  replace($("marks"), ev.marks.slice().reverse().map((m) => h("tr", { class: m.correction ? "correction" : "late", "data-testid": "mark", "data-type": m.type },
    h("td", {}, m.type), h("td", {}, clock(m.occurred_at, zone, true)), h("td", {}, clock(m.recorded_at, zone, true)),
    h("td", {}, `${m.actor} (${m.role})`))));
}

function drawTicks(marks, min, max) {
  const span = Math.max(1, max - min);
  const axis = $("by").value === "recorded" ? "recorded_at" : "occurred_at";
  replace($("ticks"), marks.map((m) => h("span", { class: `tick${m.correction ? " correction" : ""}`,
    style: `left: ${(100 * (Date.parse(m[axis]) - min)) / span}%`, title: `${m.type}: occurred ${m.occurred_at}, recorded ${m.recorded_at}` })));
}

async function compare() {
  if (!current || !$("other").value) return;
  const other = await fetchBoard(fromLocalInput($("other").value));
  const [from, to] = Date.parse(other.as_of) < Date.parse(current.as_of) ? [other, current] : [current, other];
  const [a, b] = [entityMap(from), entityMap(to)];
  const label = (key, value) => `${value.initials || "?"} · ${value.chief_complaint || ""} (${key.split("|")[1].slice(0, 8)})`;
  const came = [...b].filter(([k]) => k.startsWith("encounter|") && !a.has(k)).map(([k, v]) => label(k, v));
  const left = [...a].filter(([k]) => k.startsWith("encounter|") && !b.has(k)).map(([k, v]) => label(k, v));
  const beds = [...b].filter(([k, v]) => k.startsWith("bed|") && (!a.has(k) || a.get(k).status !== v.status || a.get(k).encounter_id !== v.encounter_id))
    .map(([k, v]) => `${k.slice(4)}: ${a.has(k) ? a.get(k).status : "not registered"} → ${v.status}`);
  const list = (title, items, testid) => [h("strong", {}, `${title} (${items.length})`), h("ul", { "data-testid": testid }, items.map((i) => h("li", {}, i)))];
  $("diff").hidden = false;
  replace($("diff"), h("p", {}, `From ${from.as_of} to ${to.as_of}:`),
    list("Came", came, "diff-came"), list("Left", left, "diff-left"), list("Beds changed", beds, "diff-beds"));
}

function start() {
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    sessionStorage.setItem(FACILITY_KEY, $("facility").value.trim());
    $("token").value = "";
    open();
  });
  $("slider").addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => load(new Date(Number($("slider").value)).toISOString()), 250);
  });
  $("go").addEventListener("click", () => $("at").value && load(fromLocalInput($("at").value)));
  $("by").addEventListener("change", () => current && load(current.as_of));
  $("prev").addEventListener("click", () => current?.events.previous && load(current.events.previous));
  $("next").addEventListener("click", () => current?.events.next && load(current.events.next));
  $("compare").addEventListener("click", () => compare().catch((e) => { $("state").textContent = `cannot compare: ${e.message}`; }));
  if (sessionStorage.getItem(TOKEN_KEY)) open();
  else $("login").hidden = false;
}

function open() {
  $("login").hidden = true;
  $("controls").hidden = false;
  $("facility-name").textContent = sessionStorage.getItem(FACILITY_KEY);
  load(new Date().toISOString());
}

start();
