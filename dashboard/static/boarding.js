// The boarding panel: every admitted patient waiting in the ED for an
// inpatient bed, with their bed request, and the inpatient units' beds.
// The ED board shows it read-only; the bed manager's page adds the actions.

import { duration, h, minutesBetween, replace } from "./dom.js";

export const REQUEST_LABEL = { requested: "bed requested", assigned: "bed assigned", ready: "bed ready",
                               left: "left for bed", cancelled: "no open request" };
const LEVEL_LABEL = { ward: "ward", "step-down": "step-down", icu: "ICU", observation: "observation" };

export function boarders(entities) {
  const out = [];
  for (const [key, e] of entities) if (key.startsWith("encounter|") && e.status === "boarding") out.push([key.slice(10), e]);
  out.sort(([, a], [, b]) => Date.parse(a.admit_decided_at) - Date.parse(b.admit_decided_at));
  return out;
}

export function units(entities) {
  const out = [];
  for (const [key, u] of entities) if (key.startsWith("inpatient-unit|")) out.push([key.slice(15), u]);
  return out;
}

export function needsText(needs) {
  if (!needs) return "–";
  const parts = [];
  if (needs.telemetry) parts.push("telemetry");
  if (needs.isolation && needs.isolation !== "none") parts.push(`${needs.isolation} isolation`);
  if (needs.bariatric) parts.push("bariatric");
  if (needs.roommate_sex) parts.push(`room-mate ${needs.roommate_sex}`);
  return parts.length ? parts.join(", ") : "–";
}

// A short tag for a boarder's bed tile on the ED board.
export function requestTag(enc) {
  const r = enc.bed_request;
  if (!r) return null;
  const where = r.bed_id ? ` ${r.bed_id}` : "";
  return h("span", { class: `tag request request-${r.state}`, "data-testid": "request-state", title: "bed request" },
    `${REQUEST_LABEL[r.state] || r.state}${r.state === "assigned" || r.state === "ready" ? where : ""}`);
}

export function drawBoarding(container, entities, nowMs, actionsFor = null) {
  const rows = boarders(entities);
  const unitRows = units(entities);
  const patient = (e) => [e.initials || "?", e.age_years ?? "?", e.sex || "U"].join(" · ");
  const table = rows.length ? h("table", { "data-testid": "boarders" },
    h("thead", {}, h("tr", {}, h("th", {}, "Patient"), h("th", {}, "Since decision"), h("th", {}, "Request"),
      h("th", {}, "Level / unit"), h("th", {}, "Needs"), h("th", {}, "Assigned bed"), actionsFor ? h("th", {}, "") : null)),
    h("tbody", {}, rows.map(([id, e]) => {
      const r = e.bed_request;
      return h("tr", { "data-encounter": id, "data-testid": "boarder" },
        h("td", {}, patient(e), e.bed_id ? h("span", { class: "muted" }, ` · ED ${e.bed_id}`) : null),
        h("td", {}, duration(minutesBetween(e.admit_decided_at, nowMs))),
        h("td", { class: `request request-${r ? r.state : "none"}`, "data-testid": "boarder-state" },
          r ? REQUEST_LABEL[r.state] || r.state : "no request"),
        h("td", {}, r ? `${LEVEL_LABEL[r.level_of_care] || r.level_of_care}${r.inpatient_unit ? " · " + r.inpatient_unit : ""}` : "–"),
        h("td", {}, needsText(r && r.needs)),
        h("td", { "data-testid": "boarder-bed" }, r && r.bed_id && (r.state === "assigned" || r.state === "ready") ? `${r.bed_id} (${r.unit})` : "–"),
        actionsFor ? h("td", { class: "actions" }, actionsFor(id, e)) : null);
    })))
    : h("p", { class: "muted" }, "No admitted patients waiting for a bed.");
  const unitTable = unitRows.length ? h("table", { class: "inpatient-units", "data-testid": "inpatient-units" },
    h("thead", {}, h("tr", {}, h("th", {}, "Unit"), h("th", {}, "Level"), h("th", {}, "Free"), h("th", {}, "Ready"),
      h("th", {}, "Held"), h("th", {}, "Occupied"), h("th", {}, "Staffed"))),
    h("tbody", {}, unitRows.map(([id, u]) => h("tr", { "data-unit": id, "data-testid": "inpatient-unit" },
      h("th", { title: u.name }, id), h("td", {}, u.level_of_care || "–"),
      h("td", { "data-testid": "unit-free" }, u.free ?? "–"), h("td", { "data-testid": "unit-ready" }, u.ready),
      h("td", {}, u.reserved), h("td", {}, u.occupied), h("td", {}, u.staffed ?? "–")))))
    : null;
  replace(container, table, unitTable);
}
