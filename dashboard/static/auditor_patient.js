// The auditor's page: one patient's timeline across visits and appointments,
// by MRN (typed, or from a visit's timeline). Every event with both times and
// who did it; corrections beside what they corrected. The read is audited.

import { h, replace } from "./dom.js";
import { get, marks, what } from "./auditor_records.js";

const $ = (id) => document.getElementById(id);

async function showPatient() {
  const mrn = $("mrn").value.trim();
  if (!mrn) return;
  const body = await get("/audit/patient-timeline", { mrn, by: $("patient-by").value });
  const merged = body.surviving_mrn !== body.mrn ? `${body.mrn} was merged into ${body.surviving_mrn}: ` : "";
  $("patient-records").textContent = merged + body.records
    .map((r) => `${r.kind} ${r.reference}`).join(", ");
  replace($("patient-rows"), body.events.map((e) => h("tr", {
    "data-testid": "patient-event", "data-type": e.type, "data-reference": e.reference,
    "data-event": e.event_id, class: marks(e),
  },
  h("td", {}, `${e.kind} ${e.reference}`), h("td", {}, e.type), h("td", {}, e.occurred_at), h("td", {}, e.recorded_at),
  h("td", {}, `${e.actor} (${e.role})`), h("td", {}, what(e, body.events)))));
}

function failed(error) {
  replace($("patient-rows"), []);
  $("patient-records").textContent = "";
  $("state").textContent = `cannot read the patient's timeline: ${error.message}`;
}

function start() {
  $("patient-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    showPatient().catch(failed);
  });
  $("visit-patient").addEventListener("click", () => {
    $("mrn").value = $("visit-patient").dataset.mrn;
    $("patient-box").open = true;
    showPatient().catch(failed);
    $("patient-box").scrollIntoView();
  });
}

start();
