// The auditor's page: the access log (filter, export as CSV), one visit's
// timeline with both times, and the event chain's state (verify now). Each
// read is itself on the access log.

import { h, replace } from "./dom.js";

const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem("edflow.auditor.token");
const facility = () => sessionStorage.getItem("edflow.auditor.facility");

export async function get(path, params, asText = false) {
  const url = new URL(path, location.href);
  url.searchParams.set("facility", facility());
  for (const [k, v] of Object.entries(params)) if (v) url.searchParams.set(k, v);
  const response = await fetch(url, { headers: { Authorization: "Bearer " + token() } });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
  }
  return asText ? response.text() : response.json();
}

const filters = () => ({ actor: $("access-actor").value.trim(), record: $("access-record").value.trim() });

async function showAccess() {
  const body = await get("/audit/access", filters());
  replace($("access-rows"), body.entries.map((e) => h("tr", { "data-testid": "access-row" },
    h("td", {}, e.at), h("td", {}, e.actor_id), h("td", {}, e.role), h("td", {}, e.action),
    h("td", {}, e.resource), h("td", {}, e.resource_id), h("td", {}, e.client))));
}

async function exportCsv() {
  const text = await get("/audit/access", { ...filters(), format: "csv" }, true);
  const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: `access-${facility()}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
}

async function showVisit() {
  const body = await get("/audit/timeline", { visit: $("visit").value.trim() });
  replace($("visit-rows"), body.events.map((e) => h("tr", { "data-testid": "visit-event", class: marks(e) },
    h("td", {}, e.type), h("td", {}, e.occurred_at), h("td", {}, e.recorded_at), h("td", {}, `${e.actor} (${e.role})`),
    h("td", {}, what(e, body.events)))));
  $("visit-patient").hidden = !body.mrn;
  $("visit-patient").dataset.mrn = body.mrn || "";
}

// "late", "correction", "corrected": how a timeline row is marked.
export function marks(e) {
  return [e.late ? "late" : "", e.correction ? "correction" : "", e.corrected_by.length ? "corrected" : ""].join(" ").trim();
}

// The summary; for a correction, what it corrected beside what it changed;
// for a corrected event, which event corrected it.
export function what(e, events) {
  const cell = [h("div", {}, e.summary)];
  if (e.correction) {
    const corrected = events.filter((x) => e.corrects.includes(x.event_id));
    const after = corrected.flatMap((x) => x.corrected_by).find((b) => b.event_id === e.event_id)?.after;
    cell.push(h("div", { class: "side-by-side", "data-testid": "correction-pair" },
      h("div", { class: "was", "data-testid": "corrected" }, h("strong", {}, "corrects"),
        ...corrected.map((x) => h("div", {}, `${x.type}: ${x.summary} — ${x.actor} (${x.role}), recorded ${x.recorded_at}`)),
        corrected.length ? null : h("div", {}, "(the corrected event is not in this timeline)")),
      h("div", { class: "now", "data-testid": "correction" }, h("strong", {}, "correction"),
        ...e.changes.map((c) => h("div", { "data-testid": "change" }, `${c.field.replaceAll("_", " ")}: ${shown(c.before)} → ${shown(c.after)}`)),
        h("div", {}, `corrected by ${e.actor} (${e.role}) at ${e.recorded_at}` + (after ? `, ${after} after` : "")))));
  }
  for (const by of e.corrected_by) {
    cell.push(h("div", { class: "corrected-by", "data-testid": "corrected-by" },
      `corrected by ${by.type} (position ${by.position}): ${by.actor} (${by.role}) at ${by.recorded_at}, ${by.after} later`));
  }
  if (e.late) cell.push(h("div", { class: "muted" }, `recorded ${e.late_by_minutes} min after it happened`));
  return cell;
}

const shown = (value) => (value === null || value === undefined ? "(none)" : `'${value}'`);

async function verifyNow() {
  $("chain").textContent = "verifying…";
  const s = await get("/audit/chain", {});
  const checkpoint = s.last_checkpoint ? `last checkpoint at position ${s.last_checkpoint.position} (${s.last_checkpoint.at})` : "no checkpoint yet";
  $("chain").textContent = s.state === "intact"
    ? `intact: verified up to position ${s.verified_up_to} (${s.checked} events); ${checkpoint}`
    : `${s.state}: ${s.detail}; ${checkpoint}`;
  $("chain").dataset.state = s.state;
}

function report(what) {
  return (error) => { $("state").textContent = `cannot ${what}: ${error.message}`; };
}

function start() {
  $("access-show").addEventListener("click", () => showAccess().catch(report("read the access log")));
  $("access-csv").addEventListener("click", () => exportCsv().catch(report("export the access log")));
  $("visit-show").addEventListener("click", () => showVisit().catch(report("read the timeline")));
  $("verify").addEventListener("click", () => verifyNow().catch(report("verify the chain")));
  const reveal = () => { $("records").hidden = !token(); };
  reveal();
  $("login-form").addEventListener("submit", () => setTimeout(reveal, 0));
}

start();
