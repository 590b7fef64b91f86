// The contact log on the desk: the "log contact" form in an appointment's
// dialog (call, e-mail, letter or text; outcome; short note; optionally "call
// back on …"), the contacts already logged for the appointment, and the
// work queue's call-back rows with their actions (called back, cancel).

import { h } from "./dom.js";
import { newId } from "./scheduler_api.js";

const $ = (id) => document.getElementById(id);
const CHANNELS = [["phone", "Phone call"], ["email", "E-mail"], ["letter", "Letter"], ["sms", "Text message"]];
const OUTCOMES = ["reached", "no-answer", "left-message", "sent", "received", "failed"];
export const NOTE_MAX = 280;  // base/input_bounds.py MAX_NOTE_CHARS

// A wall-clock "YYYY-MM-DDTHH:MM" in the facility's zone, as an ISO instant.
export function zonedIso(local, timeZone) {
  const guess = Date.parse(`${local}:00Z`);
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const part = (parts, type) => Number(parts.find((p) => p.type === type).value);
  const parts = fmt.formatToParts(new Date(guess));
  const shown = Date.UTC(part(parts, "year"), part(parts, "month") - 1, part(parts, "day"), part(parts, "hour"), part(parts, "minute"));
  return new Date(guess - (shown - guess)).toISOString();
}

const options = (pairs) => pairs.map(([value, label]) => h("option", { value }, label));

export class Contacts {
  constructor(desk) { this.desk = desk; }

  // --- in the appointment dialog ------------------------------------------

  async draw(a) {
    const box = $("appt-contacts");
    const mrn = a.patient && a.patient.mrn;
    if (!mrn) { box.replaceChildren(h("p", { class: "muted" }, "No MRN on this appointment: contacts cannot be logged.")); return; }
    box.replaceChildren();
    const answer = await this.desk.api.get(`/appointments/${encodeURIComponent(a.appointment_id)}/contacts`);
    if (this.desk.dialogs.current !== a) return;  // another appointment (or a newer view of this one) is shown
    const logged = answer.ok ? answer.data.contacts : [];
    const { clock } = this.desk;
    const field = (id, label, control) => [h("label", { for: id }, label), control];
    const channel = h("select", { id: "contact-channel" }, options(CHANNELS));
    const direction = h("select", { id: "contact-direction" }, options([["outbound", "we contacted the patient"], ["inbound", "the patient contacted us"]]));
    const reason = h("input", { id: "contact-reason", required: true, maxlength: 100, autocomplete: "off" });
    const outcome = h("select", { id: "contact-outcome" }, options(OUTCOMES.map((o) => [o, o])));
    const note = h("textarea", { id: "contact-note", rows: 2, maxlength: NOTE_MAX });
    const callBack = h("input", { id: "contact-call-back", type: "datetime-local" });
    const form = h("form", { class: "contact-form", "data-testid": "contact-form", onsubmit: (event) => {
      event.preventDefault();
      const body = { contact_id: newId("contact"), channel: channel.value, direction: direction.value,
                     reason: reason.value.trim(), outcome: outcome.value, appointment_id: a.appointment_id };
      if (note.value.trim()) body.note = note.value.trim();
      if (callBack.value) body.call_back_at = zonedIso(callBack.value, clock.timeZone);
      this.log(mrn, body, "Contact logged");
    } },
    ...field(channel.id, "Channel", channel), ...field(direction.id, "Direction", direction),
    ...field(reason.id, "Reason", reason), ...field(outcome.id, "Outcome", outcome),
    ...field(note.id, `Note (at most ${NOTE_MAX} characters)`, note),
    ...field(callBack.id, `Call back on (${clock.timeZone})`, callBack),
    h("button", { type: "submit" }, "Log contact"));
    box.replaceChildren(
      h("h3", {}, "Contacts"),
      logged.length ? h("ul", { class: "contacts", "data-testid": "contact-list" }, logged.map((c) => h("li", {},
        `${clock.when(c.at)} · ${c.channel} ${c.direction} · ${c.reason} · ${c.outcome}`,
        c.call_back_at ? ` · call back ${clock.when(c.call_back_at)} (${c.call_back})` : "",
        c.note ? h("span", { class: "muted" }, ` — ${c.note}`) : "")))
        : h("p", { class: "muted" }, "No contacts logged for this appointment."),
      h("details", {}, h("summary", {}, "Log contact…"), form));
  }

  async log(mrn, body, done) {
    const answer = await this.desk.api.post(`/patients/${encodeURIComponent(mrn)}/contacts`, body);
    if (!answer.ok) {
      this.desk.toast(`Not logged: ${answer.message}`, answer.status === 409 ? "conflict" : "error");
      return false;
    }
    this.desk.toast(done);
    this.desk.queue.load();
    if ($("appt-dialog").open && body.appointment_id) await this.desk.dialogs.appointment(body.appointment_id);
    return true;
  }

  // --- the work queue's call-back rows ------------------------------------

  row(item) {
    const { clock } = this.desk;
    const who = `${item.initials || "?"}${item.mrn ? ` · MRN ${item.mrn}` : ""}`;
    const id = item.contact_id.replace(/[^A-Za-z0-9_-]/g, "_");
    const actions = [];
    if (item.mrn) {
      const outcome = h("select", { id: `cb-outcome-${id}` }, options(OUTCOMES.map((o) => [o, o])));
      const reason = h("input", { id: `cb-reason-${id}`, maxlength: 200, autocomplete: "off" });
      actions.push(
        h("label", { for: outcome.id }, "Outcome"), outcome,
        h("button", { type: "button", onclick: () => this.log(item.mrn, {
          contact_id: newId("contact"), channel: item.channel, direction: "outbound",
          reason: `call-back: ${item.reason}`.slice(0, 100), outcome: outcome.value, call_back_of: item.contact_id,
          ...(item.appointment_id ? { appointment_id: item.appointment_id } : {}),
        }, "Call-back logged") }, "Called back"),
        h("label", { for: reason.id }, "Cancel reason"), reason,
        h("button", { type: "button", onclick: () => this.cancel(item, reason.value.trim()) }, "Cancel call-back"));
    }
    if (item.appointment_id) {
      actions.push(h("button", { type: "button", onclick: () => this.desk.dialogs.appointment(item.appointment_id) }, "Open"));
    }
    return h("tr", { "data-contact": item.contact_id },
      h("td", { class: item.overdue ? "warn" : "" }, `${item.overdue ? "due since" : "due"} ${clock.when(item.due)}`),
      h("td", {}, who), h("td", {}, `${item.channel} · ${item.reason}`),
      h("td", { class: "actions" }, h("span", { class: "inline-form" }, actions)));
  }

  async cancel(item, reason) {
    if (!reason) { this.desk.toast("Say why the call-back is cancelled.", "error"); return; }
    const path = `/patients/${encodeURIComponent(item.mrn)}/contacts/${encodeURIComponent(item.contact_id)}/cancel-call-back`;
    const answer = await this.desk.api.post(path, { reason });
    if (!answer.ok) { this.desk.toast(`Not cancelled: ${answer.message}`, answer.status === 409 ? "conflict" : "error"); return; }
    this.desk.toast("Call-back cancelled");
    this.desk.queue.load();
  }
}
