// The auditor's page: the access log (filter, export as CSV), one visit's
// timeline with both times, and the event chain's state (verify now). Each
// read is itself on the access log.

import { h, replace } from "./dom.js";

const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem("edflow.auditor.token");
const facility = () => sessionStorage.getItem("edflow.auditor.facility");

async function get(path, params, asText = false) {
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
  replace($("visit-rows"), body.events.map((e) => h("tr", { "data-testid": "visit-event", class: e.occurred_at === e.recorded_at ? "" : "late" },
    h("td", {}, e.type), h("td", {}, e.occurred_at), h("td", {}, e.recorded_at), h("td", {}, `${e.actor} (${e.role})`),
    h("td", {}, e.detail))));
}

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
