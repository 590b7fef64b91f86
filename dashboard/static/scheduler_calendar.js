// Day and week grids per provider, per room or per department: one row per
// provider (or the room), one column per day, each cell the row's slots from
// the grid read (free, booked, blocked, offered) or its holiday. A free slot
// books; a booked one opens the appointment. An appointment moves to a free
// slot by dragging it there, or from the keyboard (M on it, or "Reschedule…"
// in its dialog, then Enter on a free slot): see scheduler_moves.js.

import { h } from "./dom.js";
import { addDays } from "./scheduler_api.js";
import { Moves } from "./scheduler_moves.js";

const $ = (id) => document.getElementById(id);

export class Calendar {
  constructor(desk) {
    this.desk = desk;
    this.generation = 0;
    this.grid = null;              // the grid read of the span shown
    this.moves = new Moves(desk, this);
    const departments = desk.directory.departments.filter((d) => desk.directory.appointment_types.some((t) => t.department === d.id));
    $("cal-department").replaceChildren(...departments.map((d) => h("option", { value: d.id }, d.name)));
    $("cal-day").value = desk.clock.today();
    this.fillProviders();
    $("cal-department").addEventListener("change", () => { this.fillProviders(); this.load(); });
    for (const id of ["cal-provider", "cal-room", "cal-span", "cal-day"]) $(id).addEventListener("change", () => this.load());
    $("cal-prev").addEventListener("click", () => this.step(-1));
    $("cal-next").addEventListener("click", () => this.step(1));
  }

  get moving() { return this.moves.moving; }

  fillProviders() {
    const dept = $("cal-department").value, { directory } = this.desk;
    const providers = directory.providers.filter((p) => p.department === dept);
    const rooms = (directory.rooms || []).filter((r) => r.department === dept);
    $("cal-provider").replaceChildren(h("option", { value: "" }, "all providers"), ...providers.map((p) => h("option", { value: p.id }, p.name)));
    $("cal-room").replaceChildren(h("option", { value: "" }, "no room: by provider"), ...rooms.map((r) => h("option", { value: r.id }, r.name)));
  }

  step(direction) {
    $("cal-day").value = addDays($("cal-day").value, direction * Number($("cal-span").value));
    this.load();
  }

  // What the grid shows: one room, one provider, or the department's providers.
  subject() {
    const room = $("cal-room").value, provider = $("cal-provider").value;
    $("cal-provider").disabled = Boolean(room);
    if (room) return ["room", room];
    return provider ? ["provider", provider] : ["department", $("cal-department").value];
  }

  days() {
    const first = $("cal-day").value || this.desk.clock.today();
    return Array.from({ length: Number($("cal-span").value) }, (_, i) => addDays(first, i));
  }

  typeOf(department) { return this.desk.directory.appointment_types.find((t) => t.department === department); }

  async load() {
    const generation = ++this.generation;
    const days = this.days(), [kind, id] = this.subject();
    if (!id) return;
    const answer = await this.desk.api.get(`/scheduling/grid/${kind}/${encodeURIComponent(id)}?from=${days[0]}&to=${days[days.length - 1]}`);
    if (generation !== this.generation) return;  // a newer load is on its way
    if (!answer.ok) { $("calendar").replaceChildren(h("p", { class: "error", role: "alert" }, `Cannot show this calendar: ${answer.message}`)); return; }
    this.grid = answer.data;
    this.draw();
  }

  holds(row, a) { return row.kind === "room" ? a.room_id === row.id : a.provider_id === row.id; }

  appointmentAt(row, slot) {
    const s = Date.parse(slot.start), e = Date.parse(slot.end);
    return this.grid.appointments.find((a) => this.holds(row, a) && Date.parse(a.start) < e && s < Date.parse(a.end));
  }

  appointment(appointmentId) { return this.grid && this.grid.appointments.find((a) => a.appointment_id === appointmentId); }

  draw() {
    if (!this.grid) return;
    const began = performance.now();
    const { clock } = this.desk, days = this.days(), grid = this.grid;
    const rows = grid.rows.map((row) => {
      const cells = days.map((day) => {
        const holiday = row.holidays.find((x) => x.day === day);
        if (holiday) {
          return h("td", {}, h("span", { class: "slot holiday", "data-status": "holiday", "data-day": day, [`data-${row.kind}`]: row.id },
            `Holiday · ${holiday.name}`));
        }
        if (!row.scheduled) {  // no working schedule defined: still show (and open) what is booked
          const booked = grid.appointments.filter((a) => this.holds(row, a) && clock.day(a.start) === day);
          return h("td", {}, h("span", { class: "muted" }, "no working schedule"),
            h("div", { class: "slots" }, booked.map((a) => this.slotCell(row, { start: a.start, end: a.end, status: "busy" }))));
        }
        const today = row.slots.filter((s) => clock.day(s.start) === day);
        if (!today.length) return h("td", { class: "muted" }, "off");
        return h("td", {}, h("div", { class: "slots" }, today.map((s) => this.slotCell(row, s))));
      });
      return h("tr", { "data-row": row.id }, h("th", { scope: "row" }, row.name), cells);
    });
    const head = h("tr", {}, h("th", { scope: "col" }, grid.kind === "room" ? "Room" : "Provider"),
      days.map((d) => h("th", { scope: "col" }, clock.dayLabel(d))));
    const focused = this.focusedSlot();
    $("calendar").replaceChildren(h("table", { class: "grid", "data-kind": grid.kind }, h("thead", {}, head), h("tbody", {}, rows)));
    if (focused) { const again = $("calendar").querySelector(focused); if (again) again.focus(); }
    $("calendar").dataset.drawMs = (performance.now() - began).toFixed(1);  // read by the page benchmark
  }

  // A redraw (a push, a reload) keeps the keyboard where it was: the same slot.
  focusedSlot() {
    const el = document.activeElement;
    if (!el || !$("calendar").contains(el) || !el.dataset.start) return null;
    const who = el.dataset.provider ? `[data-provider="${CSS.escape(el.dataset.provider)}"]` : `[data-room="${CSS.escape(el.dataset.room || "")}"]`;
    return `.slot[data-start="${CSS.escape(el.dataset.start)}"]${who}`;
  }

  slotCell(row, slot) {
    const { clock } = this.desk, time = clock.time(slot.start);
    const base = { "data-start": slot.start, [`data-${row.kind}`]: row.id, "data-day": clock.day(slot.start), "data-time": time };
    if (slot.status === "free") {
      const moving = this.moving;
      return h("button", { ...base, type: "button", class: "slot free", "data-status": "free",
        "aria-label": `${moving ? "Move to" : "Book"} ${row.name} ${clock.when(slot.start)}`,
        onclick: () => this.pick(row, slot), ...this.moves.dropTarget(row, slot) }, moving ? `Move to ${time}` : time);
    }
    const appointment = slot.status === "busy" ? this.appointmentAt(row, slot) : null;
    if (appointment) {
      const text = `${time} ${appointment.initials || "booked"} · ${appointment.status}`;
      return h("button", { ...base, type: "button", class: `slot booked st-${appointment.status}`, "data-status": "booked",
        "data-appointment": appointment.appointment_id, "aria-label": `${row.name} ${clock.when(slot.start)}: ${appointment.appointment_type}, ${appointment.status}`,
        onclick: () => this.desk.dialogs.appointment(appointment.appointment_id), ...this.moves.draggable(appointment) }, text);
    }
    const what = { busy: "booked", "busy-unavailable": "blocked", "busy-tentative": "offered" }[slot.status] || slot.status;
    const block = what === "blocked" ? row.blocks.find((b) => Date.parse(b.start) < Date.parse(slot.end) && Date.parse(slot.start) < Date.parse(b.end)) : null;
    return h("span", { ...base, class: `slot ${what}`, "data-status": what, title: block ? block.reason : null }, `${time} ${what}`);
  }

  pick(row, slot) {
    if (this.moving) { this.moves.moveTo(this.moving, row, slot); return; }
    const type = this.typeOf(row.department);
    if (row.kind === "room") {
      this.desk.dialogs.book({ room_id: row.id, department: row.department, start: slot.start, end: slot.end, appointment_type: type.type });
      return;
    }
    this.desk.dialogs.book({ provider_id: row.id, start: slot.start, end: slot.end, appointment_type: type.type });
  }

  pickFor(appointment) { this.moves.pickFor(appointment); }
}
