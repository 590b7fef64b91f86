// The board panels, each drawn from the entity map. Every colour has a text
// label beside it, and patients appear only as initials, age, sex, complaint.

import { requestTag } from "./boarding.js";
import { clock, duration, h, localDay, minutesBetween, replace } from "./dom.js";
import { staffLine } from "./patient_actions.js";

// Service targets (minutes from arrival to being seen) per ESI level; ESI 2
// and 3 follow the AHRQ handbook's common targets, the others common practice.
export const ESI_TARGET_MINUTES = { 1: 0, 2: 10, 3: 60, 4: 120, 5: 240 };
const UNTRIAGED_TARGET_MINUTES = 10;
const BED_STATUS_LABEL = { available: "Available", occupied: "Occupied", dirty: "Dirty", cleaning: "Cleaning", blocked: "Blocked" };

export function byKind(entities, kind) {
  const out = [];
  for (const [key, value] of entities) if (key.startsWith(kind + "|")) out.push([key.slice(kind.length + 1), value]);
  return out;
}

function patient(e) {
  return [e.initials || "?", e.age_years ?? "?", e.sex || "U"].join(" · ");
}

export function waitBand(e, waitedMinutes) {
  const target = e.esi ? ESI_TARGET_MINUTES[e.esi] : UNTRIAGED_TARGET_MINUTES;
  if (e.over_target || waitedMinutes > target) return ["over", "over target"];
  if (waitedMinutes >= target * 0.75) return ["near", "near target"];
  return ["ok", "within target"];
}

export function drawWaiting(tbody, entities, nowMs, selectedId, onSelect) {
  const waiting = byKind(entities, "encounter").filter(([, e]) => e.status === "waiting");
  waiting.sort(([, a], [, b]) => (a.esi ?? 0) - (b.esi ?? 0) || Date.parse(a.arrived_at) - Date.parse(b.arrived_at));
  replace(tbody, waiting.map(([id, e]) => {
    const waited = minutesBetween(e.arrived_at, nowMs);
    const [band, label] = waitBand(e, waited);
    return h("tr", { class: id === selectedId ? "selected" : "", "data-encounter": id, "data-testid": "waiting-row",
                     tabindex: 0, "aria-selected": id === selectedId ? "true" : "false",
                     onclick: () => onSelect(id), onkeydown: (ev) => { if (ev.key === "Enter") onSelect(id); } },
      h("td", { class: `esi esi-${e.esi ?? "none"}` }, e.esi ? `ESI ${e.esi}` : "untriaged"),
      h("td", {}, patient(e), e.arrival_mode === "ambulance" ? h("span", { class: "tag" }, "EMS") : null),
      h("td", {}, e.chief_complaint || "–"),
      h("td", { class: "staff", "data-testid": "staff" }, staffLine(e) || "–"),
      h("td", { class: `wait wait-${band}` }, duration(waited), h("span", { class: "band" }, label)));
  }));
  return waiting.length;
}

export function drawBeds(container, entities, nowMs, actionsFor) {
  const units = new Map();
  for (const [id, bed] of byKind(entities, "bed")) {
    if (!units.has(bed.unit)) units.set(bed.unit, []);
    units.get(bed.unit).push([id, bed]);
  }
  const encounters = new Map(byKind(entities, "encounter"));
  const sections = [...units.keys()].sort().map((unit) => {
    const beds = units.get(unit).sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
    return h("div", { class: "unit" }, h("h3", {}, `Unit ${unit}`),
      h("div", { class: "grid" }, beds.map(([id, bed]) => bedTile(id, bed, encounters.get(bed.encounter_id), nowMs, actionsFor))));
  });
  replace(container, sections.length ? sections : h("p", { class: "muted" }, "No beds registered yet."));
}

function bedTile(id, bed, enc, nowMs, actionsFor) {
  const inState = duration(minutesBetween(bed.since, nowMs));
  return h("div", { class: `bed bed-${bed.status}`, "data-bed": id, "data-status": bed.status, "data-testid": "bed" },
    h("div", { class: "bed-head" }, h("strong", { title: bed.label || id }, id), h("span", { class: "status" }, BED_STATUS_LABEL[bed.status] || bed.status)),
    enc ? h("div", { class: "bed-patient" }, enc.esi ? `ESI ${enc.esi} · ` : "", patient(enc),
      enc.status === "boarding" ? h("span", { class: "tag boarding" }, "boarding") : null, requestTag(enc),
      enc.ventilated ? h("span", { class: "tag vent", title: "on a ventilator", "data-testid": "vent" }, "vent") : null) : null,
    enc && staffLine(enc) ? h("div", { class: "bed-staff muted", "data-testid": "bed-staff" }, staffLine(enc)) : null,
    bed.status === "blocked" && bed.reason ? h("div", { class: "reason" }, bed.reason) : null,
    h("div", { class: "since muted" }, `${inState} in state`),
    h("div", { class: "bed-actions" }, actionsFor(id, bed, enc)));
}

const pct = (a, b) => (b ? `${Math.round((100 * a) / b)} %` : "–");

export function drawCapacity(container, cap) {
  if (!cap) { replace(container, h("p", { class: "muted" }, "No capacity figures yet.")); return; }
  const n = cap.nedocs || {};
  const stat = (label, value, testid) => h("div", { class: "stat", "data-testid": testid }, h("span", { class: "value" }, value), h("span", { class: "label" }, label));
  replace(container,
    h("div", { class: "stats" },
      stat("census", cap.census, "census"),
      stat("occupancy", `${pct(cap.beds_occupied, cap.beds_total)} (${cap.beds_occupied}/${cap.beds_total})`, "occupancy"),
      stat("waiting", cap.waiting, "waiting"),
      stat("untriaged", cap.untriaged, "untriaged"),
      stat("boarders", cap.boarders, "boarders"),
      stat("longest boarding", duration(cap.longest_boarding_minutes), "longest-boarding"),
      stat("beds available / dirty / blocked", `${cap.beds_available} / ${cap.beds_dirty} / ${cap.beds_blocked}`, "bed-counts")),
    h("div", { class: `nedocs nedocs-${nedocsLevel(n.score)}`, "data-testid": "nedocs" },
      h("span", { class: "value" }, n.score === null || n.score === undefined ? "–" : Math.round(n.score)),
      h("span", { class: "label" }, `NEDOCS · ${n.band || "unknown"}`),
      h("span", { class: "muted variant" }, n.variant || "")));
}

function nedocsLevel(score) {
  if (score === null || score === undefined) return "unknown";
  if (score <= 60) return "ok";
  if (score <= 100) return "busy";
  return "over";
}

export function drawMetrics(container, metrics) {
  if (!metrics) { replace(container, h("p", { class: "muted" }, "No visits today yet.")); return; }
  const row = (label, m) => h("tr", {}, h("th", {}, label), h("td", {}, duration(m?.median_minutes)),
    h("td", {}, duration(m?.p90_minutes)), h("td", {}, m?.n ?? 0));
  const lwbs = metrics.lwbs_rate === null || metrics.lwbs_rate === undefined ? "–" : `${(100 * metrics.lwbs_rate).toFixed(1)} %`;
  replace(container,
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "median"), h("th", {}, "90th pct"), h("th", {}, "n"))),
      h("tbody", {}, row("Door to triage", metrics.door_to_triage), row("Door to provider", metrics.door_to_provider),
        row("LOS, discharged", metrics.los_discharged), row("LOS, admitted", metrics.los_admitted),
        row("Boarding", metrics.boarding),
        metrics.decision_to_request ? row("· decision to request", metrics.decision_to_request) : null,
        metrics.request_to_assigned ? row("· request to bed assigned", metrics.request_to_assigned) : null,
        metrics.assigned_to_departure ? row("· assigned to left ED", metrics.assigned_to_departure) : null)),
    h("p", {}, `Visits: ${metrics.visits ?? 0} · Left without being seen: ${lwbs}`));
}

export function drawAppointments(container, entities, today, timeZone) {
  const appts = byKind(entities, "appointment").map(([, a]) => a).filter((a) => localDay(a.start, timeZone) === today);
  appts.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const books = byKind(entities, "schedule").filter(([id]) => id.endsWith("|" + today));
  replace(container,
    books.length ? h("p", { class: "books" }, books.map(([id, s]) => h("span", { class: "book" },
      `${id.split("|")[0]}: ${s.booked} booked, ${s.checked_in} in, ${s.no_show} no-show, ${s.unverified_insurance} unverified`))) : null,
    appts.length ? h("table", {}, h("tbody", {}, appts.map((a) => h("tr", {},
      h("td", {}, clock(a.start, timeZone)), h("td", {}, a.department), h("td", {}, a.appointment_type),
      h("td", {}, a.initials || "?"), h("td", { class: `appt appt-${a.status}` }, a.status),
      h("td", { class: `ins ins-${a.insurance}` }, `insurance ${a.insurance}`)))))
      : h("p", { class: "muted" }, "No appointments today."));
}

// The board's dead-letter alert (only roles that run the board receive it):
// events the projection could not fold, so the board may be missing them.
export function drawAlert(container, alert, timeZone) {
  if (!alert || !alert.count) { container.hidden = true; replace(container); return; }
  const noun = alert.count === 1 ? "event" : "events";
  container.hidden = false;
  replace(container,
    h("strong", {}, `${alert.count} ${noun} could not be shown on this board; see the dead-letter topic.`),
    h("ul", {}, (alert.latest || []).map((d) => h("li", {}, `${d.type} · ${clock(d.at, timeZone, true)} · ${d.reason}`))));
}
