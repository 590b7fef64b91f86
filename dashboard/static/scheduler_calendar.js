// Day and week grids per provider: one row per provider, one column per day,
// each cell the provider's slots from the availability API (free, booked,
// blocked or holiday, offered), with the booked ones named from the calendar
// read. A free slot books; a booked one opens the appointment; in "pick a new
// time" mode a free slot reschedules the appointment being moved.

import { h } from "./dom.js";
import { addDays, plusMinutes } from "./scheduler_api.js";

const $ = (id) => document.getElementById(id);

export class Calendar {
  constructor(desk) {
    this.desk = desk;
    this.generation = 0;
    this.slots = new Map();        // provider id -> slots
    this.booked = [];              // appointments of the span
    this.moving = null;
    const departments = desk.directory.departments.filter((d) => desk.directory.appointment_types.some((t) => t.department === d.id));
    $("cal-department").replaceChildren(...departments.map((d) => h("option", { value: d.id }, d.name)));
    $("cal-day").value = desk.clock.today();
    this.fillProviders();
    $("cal-department").addEventListener("change", () => { this.fillProviders(); this.load(); });
    for (const id of ["cal-provider", "cal-span", "cal-day"]) $(id).addEventListener("change", () => this.load());
    $("cal-prev").addEventListener("click", () => this.step(-1));
    $("cal-next").addEventListener("click", () => this.step(1));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.moving && !document.querySelector("dialog[open]")) this.stopMoving();
    });
  }

  fillProviders() {
    const dept = $("cal-department").value;
    const providers = this.desk.directory.providers.filter((p) => p.department === dept);
    $("cal-provider").replaceChildren(h("option", { value: "" }, "all providers"), ...providers.map((p) => h("option", { value: p.id }, p.name)));
  }

  step(direction) {
    $("cal-day").value = addDays($("cal-day").value, direction * Number($("cal-span").value));
    this.load();
  }

  providers() {
    const dept = $("cal-department").value, one = $("cal-provider").value;
    return this.desk.directory.providers.filter((p) => p.department === dept && (!one || p.id === one));
  }

  days() {
    const first = $("cal-day").value || this.desk.clock.today();
    return Array.from({ length: Number($("cal-span").value) }, (_, i) => addDays(first, i));
  }

  typeOf(department) { return this.desk.directory.appointment_types.find((t) => t.department === department); }

  async load() {
    const generation = ++this.generation;
    const days = this.days(), providers = this.providers(), api = this.desk.api;
    const range = `from=${days[0]}&to=${days[days.length - 1]}`;
    const [calendar, ...answers] = await Promise.all([
      api.get(`/scheduling/calendar?${range}`),
      ...providers.map((p) => api.get(`/availability/provider/${encodeURIComponent(p.id)}?${range}&appointment_type=${this.typeOf(p.department).type}`)),
    ]);
    if (generation !== this.generation) return;  // a newer load is on its way
    this.slots = new Map();
    providers.forEach((p, i) => this.slots.set(p.id, answers[i].ok ? answers[i].data.slots : null));
    this.booked = calendar.ok ? calendar.data.appointments : [];
    this.draw();
  }

  appointmentAt(providerId, slot) {
    const s = Date.parse(slot.start), e = Date.parse(slot.end);
    return this.booked.find((a) => a.provider_id === providerId && Date.parse(a.start) < e && s < Date.parse(a.end));
  }

  draw() {
    const began = performance.now();
    const { clock } = this.desk, days = this.days(), providers = this.providers();
    const head = h("tr", {}, h("th", { scope: "col" }, "Provider"), days.map((d) => h("th", { scope: "col" }, clock.dayLabel(d))));
    const rows = providers.map((p) => {
      const slots = this.slots.get(p.id);
      const cells = days.map((day) => {
        if (slots === undefined) return h("td", {}, "…");
        if (slots === null) {  // no working schedule defined: still show (and open) what is booked
          const booked = this.booked.filter((a) => a.provider_id === p.id && clock.day(a.start) === day);
          return h("td", {}, h("span", { class: "muted" }, "no working schedule"),
            h("div", { class: "slots" }, booked.map((a) => this.slotCell(p, { start: a.start, end: a.end, status: "busy" }))));
        }
        const today = slots.filter((s) => clock.day(s.start) === day);
        if (!today.length) return h("td", { class: "muted" }, "off");
        return h("td", {}, h("div", { class: "slots" }, today.map((s) => this.slotCell(p, s))));
      });
      return h("tr", {}, h("th", { scope: "row" }, p.name), cells);
    });
    const table = h("table", { class: "grid" }, h("thead", {}, head), h("tbody", {}, rows));
    $("calendar").replaceChildren(table);
    $("calendar").dataset.drawMs = (performance.now() - began).toFixed(1);  // read by the page benchmark
  }

  slotCell(provider, slot) {
    const { clock } = this.desk, time = clock.time(slot.start);
    const base = { "data-start": slot.start, "data-provider": provider.id, "data-day": clock.day(slot.start), "data-time": time };
    if (slot.status === "free") {
      const label = this.moving ? `Move to ${time}` : time;
      return h("button", { ...base, type: "button", class: "slot free", "data-status": "free",
        "aria-label": `${this.moving ? "Move to" : "Book"} ${provider.name} ${clock.when(slot.start)}`,
        onclick: () => this.pick(provider, slot) }, label);
    }
    const appointment = slot.status === "busy" ? this.appointmentAt(provider.id, slot) : null;
    if (appointment) {
      const text = `${time} ${appointment.initials || "booked"} · ${appointment.status}`;
      return h("button", { ...base, type: "button", class: `slot booked st-${appointment.status}`, "data-status": "booked",
        "data-appointment": appointment.appointment_id, "aria-label": `${provider.name} ${clock.when(slot.start)}: ${appointment.appointment_type}, ${appointment.status}`,
        onclick: () => this.desk.dialogs.appointment(appointment.appointment_id) }, text);
    }
    const what = { busy: "booked", "busy-unavailable": "blocked", "busy-tentative": "offered" }[slot.status] || slot.status;
    return h("span", { ...base, class: `slot ${what}`, "data-status": what }, `${time} ${what}`);
  }

  pick(provider, slot) {
    if (!this.moving) {
      this.desk.dialogs.book({ provider_id: provider.id, start: slot.start, end: slot.end, appointment_type: this.typeOf(provider.department).type });
      return;
    }
    this.reschedule(this.moving, provider, slot);
  }

  pickFor(appointment) {
    this.moving = appointment;
    $("cal-mode").textContent = `Pick a new time for ${appointment.appointment_type} at ${this.desk.clock.when(appointment.start)} (Escape to stop).`;
    if (this.desk.view !== "calendar") this.desk.show("calendar"); else this.draw();
    const first = document.querySelector("#calendar .slot.free");
    if (first) first.focus();
  }

  stopMoving() {
    this.moving = null;
    $("cal-mode").textContent = "";
    this.draw();
  }

  async reschedule(appointment, provider, slot) {
    const minutes = (Date.parse(appointment.end) - Date.parse(appointment.start)) / 60000;
    const answer = await this.desk.api.post(`/appointments/${encodeURIComponent(appointment.appointment_id)}/reschedule`,
      { start: slot.start, end: plusMinutes(slot.start, minutes), provider_id: provider.id });
    if (!answer.ok) {
      this.desk.toast(answer.status === 409 ? `That slot was just taken: ${answer.message}` : `Not moved: ${answer.message}`, answer.status === 409 ? "conflict" : "error");
      this.desk.changed();
      return;
    }
    this.moving = null;
    $("cal-mode").textContent = "";
    this.desk.toast(`Moved to ${this.desk.clock.when(slot.start)}`);
    this.desk.changed();
  }
}
