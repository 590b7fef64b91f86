// Moving an appointment to another time (reschedule), three ways to the same
// request: drag its slot onto a free one; or, from the keyboard, press M on it
// (or "Reschedule…" in its dialog) and then Enter on a free slot. The grid
// changes only by reloading from the API: a move the server refuses (the
// slot was just taken, the room is busy then, time blocked…) says the
// server's reason and leaves the appointment where it was.

import { plusMinutes } from "./scheduler_api.js";

const $ = (id) => document.getElementById(id);
const DRAG_TYPE = "application/x-edflow-appointment";

export class Moves {
  constructor(desk, calendar) {
    Object.assign(this, { desk, calendar, moving: null, dragging: null });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.moving && !document.querySelector("dialog[open]")) this.stop();
    });
  }

  // Attributes of a booked slot: draggable, and M to start moving it.
  draggable(appointment) {
    if (appointment.status !== "booked") return {};
    return {
      draggable: "true",
      "aria-keyshortcuts": "M",
      "aria-description": "Drag to a free slot, or press M then Enter on a free slot, to move it",
      ondragstart: (event) => {
        this.dragging = appointment;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData(DRAG_TYPE, appointment.appointment_id);
        event.dataTransfer.setData("text/plain", appointment.appointment_id);
        $("calendar").classList.add("dragging");
      },
      ondragend: () => { this.dragging = null; $("calendar").classList.remove("dragging"); },
      onkeydown: (event) => {
        if ((event.key === "m" || event.key === "M") && !event.altKey && !event.ctrlKey && !event.metaKey) {
          event.preventDefault();
          this.pickFor(appointment);
        }
      },
    };
  }

  // Attributes of a free slot: where a dragged appointment may be dropped.
  dropTarget(row, slot) {
    return {
      ondragover: (event) => {
        if (!this.dragging) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        event.currentTarget.classList.add("drop-here");
      },
      ondragleave: (event) => event.currentTarget.classList.remove("drop-here"),
      ondrop: (event) => {
        event.preventDefault();
        event.currentTarget.classList.remove("drop-here");
        const id = event.dataTransfer.getData(DRAG_TYPE) || event.dataTransfer.getData("text/plain");
        const appointment = this.dragging || this.calendar.appointment(id);
        this.dragging = null;
        if (appointment) this.moveTo(appointment, row, slot);
      },
    };
  }

  pickFor(appointment) {
    this.moving = appointment;
    $("cal-mode").textContent = `Pick a new time for ${appointment.appointment_type} at ${this.desk.clock.when(appointment.start)} (Escape to stop).`;
    if (this.desk.view !== "calendar") this.desk.show("calendar"); else this.calendar.draw();
    const first = document.querySelector("#calendar .slot.free");
    if (first) first.focus();
  }

  stop() {
    this.moving = null;
    $("cal-mode").textContent = "";
    this.calendar.draw();
  }

  async moveTo(appointment, row, slot) {
    const minutes = (Date.parse(appointment.end) - Date.parse(appointment.start)) / 60000;
    const body = { start: slot.start, end: plusMinutes(slot.start, minutes) };
    if (row.kind === "provider") body.provider_id = row.id;  // a room keeps its provider; the room moves with it
    const answer = await this.desk.api.post(`/appointments/${encodeURIComponent(appointment.appointment_id)}/reschedule`, body);
    const { clock } = this.desk;
    if (!answer.ok) {
      const why = answer.status === 409 ? `That time was just taken or cannot be booked: ${answer.message}` : answer.message;
      $("cal-mode").textContent = `Not moved: ${why}. It stays at ${clock.when(appointment.start)}.`;
      this.desk.toast(`Not moved: ${why}`, answer.status === 409 ? "conflict" : "error");
      this.desk.changed();
      return;
    }
    this.moving = null;
    $("cal-mode").textContent = `Moved to ${clock.when(slot.start)}.`;
    this.desk.toast(`Moved to ${clock.when(slot.start)}`);
    this.desk.changed();
  }
}
