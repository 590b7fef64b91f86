// The two dialogs of the desk: booking a slot, and one appointment with its
// actions (reschedule, cancel with a reason, check in, no-show, complete,
// confirm, a surgical case's checklist, and the contact log). A refused action says why in
// the dialog; the calendar and queue change only by reloading from the API.

import { h } from "./dom.js";
import { newId, plusMinutes } from "./scheduler_api.js";

const $ = (id) => document.getElementById(id);
const CHECKLIST = ["consent", "labs", "anaesthesia-review", "insurance-authorisation"];

export class Dialogs {
  constructor(desk) {
    this.desk = desk;
    $("book-form").addEventListener("submit", (event) => { event.preventDefault(); this.submitBooking(); });
    $("book-cancel").addEventListener("click", () => $("book-dialog").close());
    $("appt-close").addEventListener("click", () => $("appt-dialog").close());
    $("cancel-form").addEventListener("submit", (event) => { event.preventDefault(); this.cancel(); });
  }

  // --- booking -------------------------------------------------------------

  book(slot, patient = null) {
    const { directory, clock } = this.desk;
    const provider = directory.providers.find((p) => p.id === slot.provider_id);
    const room = slot.room_id ? (directory.rooms || []).find((r) => r.id === slot.room_id) : null;
    const department = provider ? provider.department : slot.department;
    this.slot = slot;
    $("book-when").textContent = `${clock.when(slot.start)} · ${room ? room.name : provider ? provider.name : slot.provider_id}`;
    this.providerPicker(room ? directory.providers.filter((p) => p.department === department) : null);
    const types = directory.appointment_types.filter((t) => t.department === department);
    $("book-type").replaceChildren(...types.map((t) => h("option", { value: t.type, selected: t.type === slot.appointment_type }, t.type)));
    for (const [id, key] of [["book-mrn", "mrn"], ["book-family", "family_name"], ["book-given", "given_name"], ["book-birth", "birth_date"]]) {
      $(id).value = (patient && patient[key]) || "";
    }
    $("book-reason").value = "";
    $("book-error").textContent = "";
    $("book-dialog").showModal();
    $("book-mrn").focus();
  }

  // Booking a room's slot: the provider it is booked with is picked in the dialog.
  providerPicker(providers) {
    let row = $("book-provider-row");
    if (!providers) { if (row) row.hidden = true; return; }
    if (!row) {
      row = h("div", { id: "book-provider-row" }, h("label", { for: "book-provider" }, "Provider"), h("select", { id: "book-provider", required: true }));
      $("book-type").labels[0].before(row);
    }
    row.hidden = false;
    $("book-provider").replaceChildren(...providers.map((p) => h("option", { value: p.id }, p.name)));
  }

  async submitBooking() {
    const slot = this.slot;
    const type = this.desk.directory.appointment_types.find((t) => t.type === $("book-type").value);
    const providerId = slot.room_id ? $("book-provider").value : slot.provider_id;
    const provider = this.desk.directory.providers.find((p) => p.id === providerId);
    const body = {
      appointment_id: newId("appt"),
      patient: { mrn: $("book-mrn").value.trim(), family_name: $("book-family").value.trim(),
                 given_name: $("book-given").value.trim(), birth_date: $("book-birth").value },
      provider_id: provider.id, department: provider.department, appointment_type: type.type,
      start: slot.start, end: plusMinutes(slot.start, type.minutes),
    };
    if (slot.room_id) body.room_id = slot.room_id;
    if ($("book-reason").value.trim()) body.reason = $("book-reason").value.trim();
    $("book-confirm").disabled = true;
    const answer = await this.desk.api.post("/appointments", body);
    $("book-confirm").disabled = false;
    if (answer.ok) {
      $("book-dialog").close();
      this.desk.toast(`Booked ${body.patient.family_name} at ${this.desk.clock.when(slot.start)}`);
      this.desk.changed();
      return;
    }
    if (answer.status === 409) {
      $("book-error").textContent = `That slot was just taken (${answer.message}). Pick another time.`;
      this.desk.toast("That slot was just taken: it is gone from the calendar now.", "conflict");
      this.desk.changed();
    } else {
      $("book-error").textContent = `Not booked: ${answer.message}`;
    }
  }

  // --- one appointment -----------------------------------------------------

  async appointment(appointmentId) {
    const answer = await this.desk.api.get(`/appointments/${encodeURIComponent(appointmentId)}`);
    if (!answer.ok) { this.desk.toast(`Cannot open ${appointmentId}: ${answer.message}`, "error"); return; }
    const a = answer.data, { clock } = this.desk;
    this.current = a;
    const p = a.patient || {};
    const name = [p.family_name, p.given_name].filter(Boolean).join(", ") || p.initials || "";
    $("appt-title").textContent = `${name || "Appointment"} · ${clock.when(a.start)}`;
    const facts = [["Patient", `${name}${p.mrn ? ` · MRN ${p.mrn}` : ""}${p.birth_date ? ` · born ${p.birth_date}` : ""}`],
                   ["Provider", a.provider_id], ["Type", a.appointment_type], ["Time", `${clock.when(a.start)}–${clock.time(a.end)}`],
                   ["Status", a.status], ["Insurance", a.insurance], ["Reason", a.reason || "—"]];
    $("appt-facts").replaceChildren(...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-testid": `appt-${k.toLowerCase()}` }, v)]));
    $("appt-error").textContent = "";
    await this.drawChecklist(a);
    // Not awaited: the dialog must not wait for (or reopen after) the contact list.
    this.desk.contacts.draw(a);
    const actions = [];
    const act = (label, path, done) => actions.push(h("button", { type: "button", onclick: () => this.act(path, done) }, label));
    if (a.status === "booked") {
      actions.push(h("button", { type: "button", onclick: () => { $("appt-dialog").close(); this.desk.calendar.pickFor(a); } }, "Reschedule…"));
      act("Confirm", `/appointments/${encodeURIComponent(a.appointment_id)}/confirm`, "Confirmed");
      act("Check in", `/appointments/${encodeURIComponent(a.appointment_id)}/check-in`, "Checked in");
      act("No-show", `/appointments/${encodeURIComponent(a.appointment_id)}/no-show`, "Marked no-show");
    }
    if (a.status === "checked-in") act("Complete", `/appointments/${encodeURIComponent(a.appointment_id)}/complete`, "Completed");
    $("appt-actions").replaceChildren(...actions);
    $("cancel-form").hidden = a.status !== "booked";
    $("cancel-reason").value = "";
    if (!$("appt-dialog").open) $("appt-dialog").showModal();
    (actions[0] || $("appt-close")).focus();
  }

  async drawChecklist(a) {
    const box = $("appt-checklist");
    if (a.appointment_type !== "surgical-case") { box.replaceChildren(); return; }
    const day = this.desk.clock.day(a.start);
    const answer = await this.desk.api.get(`/scheduling/calendar?from=${day}&to=${day}`);
    const found = answer.ok ? answer.data.appointments.find((x) => x.appointment_id === a.appointment_id) : null;
    const missing = found ? found.missing : [];
    box.replaceChildren(
      h("h3", {}, "Pre-operative checklist"),
      h("p", { "data-testid": "checklist-missing", class: missing.length ? "warn" : "" },
        missing.length ? `Cannot be confirmed yet. Missing: ${missing.join(", ")}` : found && found.confirmed ? "Checklist complete; confirmed." : "Checklist complete."),
      h("ul", { class: "checklist" }, CHECKLIST.map((item) => h("li", {},
        missing.includes(item)
          ? h("button", { type: "button", onclick: () => this.act(`/appointments/${encodeURIComponent(a.appointment_id)}/checklist`, `${item} done`, { item }) }, `Mark ${item} done`)
          : h("span", { class: "done" }, `✓ ${item}`)))),
    );
  }

  async act(path, done, body = {}) {
    const answer = await this.desk.api.post(path, body);
    if (!answer.ok) {
      $("appt-error").textContent = `Not done: ${answer.message}`;
      return;
    }
    this.desk.toast(done);
    this.desk.changed();
    await this.appointment(this.current.appointment_id);
  }

  async cancel() {
    const a = this.current;
    const answer = await this.desk.api.post(`/appointments/${encodeURIComponent(a.appointment_id)}/cancel`, { reason: $("cancel-reason").value.trim() });
    if (!answer.ok) { $("appt-error").textContent = `Not cancelled: ${answer.message}`; return; }
    $("appt-dialog").close();
    this.desk.toast("Cancelled");
    this.desk.changed();
  }
}
