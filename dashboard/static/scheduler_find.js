// Find a time: the next free slots across the providers of a department for
// an appointment type, within a span of days, on the weekdays and at the time
// of day the patient prefers. Each result books with one click (the booking
// form opens on it, with the patient filled in when rebooking).

import { h } from "./dom.js";
import { addDays } from "./scheduler_api.js";

const $ = (id) => document.getElementById(id);
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MAX_RESULTS = 12;
const MAX_DAYS = 62;

export class Finder {
  constructor(desk) {
    this.desk = desk;
    this.patient = null;
    const { directory, clock } = desk;
    const departments = directory.departments.filter((d) => directory.appointment_types.some((t) => t.department === d.id));
    $("find-department").replaceChildren(...departments.map((d) => h("option", { value: d.id }, d.name)));
    $("find-weekdays").replaceChildren(...WEEKDAYS.map((name, i) => h("label", { class: "day" },
      h("input", { type: "checkbox", value: String(i), checked: i < 5, "data-testid": `weekday-${name}` }), name)));
    $("find-from").value = clock.today();
    $("find-to").value = addDays(clock.today(), 13);
    this.fillTypes();
    $("find-department").addEventListener("change", () => this.fillTypes());
    $("find-form").addEventListener("submit", (event) => { event.preventDefault(); this.search(); });
  }

  fillTypes(selected) {
    const dept = $("find-department").value;
    const types = this.desk.directory.appointment_types.filter((t) => t.department === dept);
    $("find-type").replaceChildren(...types.map((t) => h("option", { value: t.type, selected: t.type === selected }, t.type)));
  }

  prefill({ department, appointment_type, patient }) {
    this.patient = patient;
    $("find-department").value = department;
    this.fillTypes(appointment_type);
    this.desk.show("find");
    $("find-results").replaceChildren(h("li", { class: "muted" }, `Rebooking ${patient ? [patient.family_name, patient.given_name].filter(Boolean).join(", ") : "the patient"}: search for a time.`));
    $("find-department").focus();
  }

  async search() {
    const { directory, clock, api } = this.desk;
    const dept = $("find-department").value, type = $("find-type").value, part = $("find-part").value;
    let first = $("find-from").value, last = $("find-to").value;
    const today = clock.today();
    if (first < today) first = today;
    if (last < first) { $("find-results").replaceChildren(h("li", { class: "error" }, "The end of the range is before its start.")); return; }
    if (addDays(first, MAX_DAYS - 1) < last) last = addDays(first, MAX_DAYS - 1);
    const weekdays = new Set([...document.querySelectorAll("#find-weekdays input:checked")].map((i) => Number(i.value)));
    const providers = directory.providers.filter((p) => p.department === dept);
    $("find-results").replaceChildren(h("li", { class: "muted" }, "Searching…"));
    const answers = await Promise.all(providers.map((p) =>
      api.get(`/availability/provider/${encodeURIComponent(p.id)}?from=${first}&to=${last}&appointment_type=${encodeURIComponent(type)}&status=free`)));
    const now = Date.now();
    const found = [];
    providers.forEach((p, i) => {
      if (!answers[i].ok) return;
      for (const slot of answers[i].data.slots) {
        if (Date.parse(slot.start) <= now || !weekdays.has(clock.weekday(clock.day(slot.start)))) continue;
        const hour = clock.hour(slot.start);
        if ((part === "am" && hour >= 12) || (part === "pm" && hour < 12)) continue;
        found.push({ ...slot, provider: p });
      }
    });
    found.sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.provider.name.localeCompare(b.provider.name));
    const shown = found.slice(0, MAX_RESULTS);
    if (!shown.length) { $("find-results").replaceChildren(h("li", { class: "muted" }, "No free time matches: widen the range or the preferences.")); return; }
    $("find-results").replaceChildren(...shown.map((s) => h("li", {}, h("button", { type: "button", class: "result",
      "data-start": s.start, "data-provider": s.provider.id,
      onclick: () => this.desk.dialogs.book({ provider_id: s.provider.id, start: s.start, end: s.end, appointment_type: type }, this.patient) },
    `Book ${clock.when(s.start)} with ${s.provider.name}`))));
    $("find-results").querySelector("button").focus();
  }
}
