// The waitlist of a department or one of its providers: who waits for what,
// the slot each has been offered and until when, accept or decline on the
// patient's behalf, and adding a patient (with a provider or anyone in the
// department, for an appointment type).

import { h } from "./dom.js";
import { newId } from "./scheduler_api.js";

const $ = (id) => document.getElementById(id);

export class Waitlist {
  constructor(desk) {
    this.desk = desk;
    const { directory } = desk;
    const departments = directory.departments.filter((d) => directory.appointment_types.some((t) => t.department === d.id));
    $("wait-department").replaceChildren(...departments.map((d) => h("option", { value: d.id }, d.name)));
    this.fill();
    $("wait-department").addEventListener("change", () => { this.fill(); this.load(); });
    $("wait-provider").addEventListener("change", () => this.load());
    $("wait-form").addEventListener("submit", (event) => { event.preventDefault(); this.join(); });
  }

  fill() {
    const dept = $("wait-department").value, { directory } = this.desk;
    $("wait-provider").replaceChildren(h("option", { value: "" }, "anyone in the department"),
      ...directory.providers.filter((p) => p.department === dept).map((p) => h("option", { value: p.id }, p.name)));
    $("wait-type").replaceChildren(...directory.appointment_types.filter((t) => t.department === dept).map((t) => h("option", { value: t.type }, t.type)));
  }

  scope() {
    const provider = $("wait-provider").value;
    return provider ? `provider/${encodeURIComponent(provider)}` : `department/${encodeURIComponent($("wait-department").value)}`;
  }

  async load() {
    const scope = this.scope();
    const answer = await this.desk.api.get(`/waitlists/${scope}`);
    if (scope !== this.scope()) return;  // the choice changed meanwhile
    const entries = answer.ok ? answer.data.entries : [];
    if (!answer.ok && answer.status !== 404) {
      $("wait-entries").replaceChildren(h("p", { class: "error" }, `The waitlist could not be read: ${answer.message}`));
      return;
    }
    if (!entries.length) { $("wait-entries").replaceChildren(h("p", { class: "muted" }, "Nobody is waiting here.")); return; }
    const { clock } = this.desk;
    const rows = entries.map((e) => {
      const offer = e.offer
        ? [h("td", { class: "warn" }, `offered ${clock.when(e.offer.start)} with ${e.offer.provider_id}, until ${clock.when(e.offer.expires_at)}`),
           h("td", { class: "actions" },
             h("button", { type: "button", onclick: () => this.answer(e, "accept", { appointment_id: newId("appt") }) }, "Accept offer"),
             h("button", { type: "button", onclick: () => this.answer(e, "decline", {}) }, "Decline offer"))]
        : [h("td", { class: "muted" }, "no offer yet"), h("td", {})];
      return h("tr", { "data-entry": e.entry_id }, h("td", {}, e.initials || "?"),
        h("td", {}, `${e.appointment_type}, ${e.duration_minutes} min`), h("td", {}, `waiting since ${clock.when(e.joined_at)}`), offer);
    });
    $("wait-entries").replaceChildren(h("table", { class: "rows" }, h("tbody", {}, rows)));
  }

  async answer(entry, what, body) {
    const answer = await this.desk.api.post(`/waitlists/${this.scope()}/entries/${encodeURIComponent(entry.entry_id)}/${what}`, body);
    if (!answer.ok) { this.desk.toast(`Not done: ${answer.message}`, answer.status === 409 ? "conflict" : "error"); this.load(); return; }
    this.desk.toast(what === "accept" ? "Offer accepted: booked" : "Offer declined");
    this.desk.changed();
  }

  async join() {
    const type = this.desk.directory.appointment_types.find((t) => t.type === $("wait-type").value);
    const body = {
      patient: { mrn: $("wait-mrn").value.trim(), family_name: $("wait-family").value.trim(),
                 given_name: $("wait-given").value.trim(), birth_date: $("wait-birth").value },
      department: $("wait-department").value, appointment_type: type.type, duration_minutes: type.minutes,
    };
    if ($("wait-provider").value) body.provider_id = $("wait-provider").value;
    const answer = await this.desk.api.post("/waitlist", body);
    if (!answer.ok) { $("wait-error").textContent = `Not added: ${answer.message}`; return; }
    $("wait-error").textContent = "";
    for (const id of ["wait-mrn", "wait-family", "wait-given", "wait-birth"]) $(id).value = "";
    this.desk.toast("Added to the waitlist");
    this.load();
  }
}
