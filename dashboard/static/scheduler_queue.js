// The work queue, the desk's landing view: each kind of to-do with its count
// and its rows, and each row's action inline (verify insurance, record the
// payer's answer, open a checklist, rebook a no-show, do a call-back).

import { h, redrawKeepingInput } from "./dom.js";
import { addDays } from "./scheduler_api.js";

const $ = (id) => document.getElementById(id);
const KINDS = [
  ["unverified_coverage", "Insurance to verify"],
  ["unconfirmed", "Unconfirmed (next 3 days)"],
  ["checklists_open", "Surgical checklists open"],
  ["no_shows_to_rebook", "No-shows to rebook"],
  ["reminders_due", "Reminders due"],
  ["offers_pending", "Waitlist offers pending"],
  ["call_backs_due", "Call-backs due"],
];

export class Queue {
  constructor(desk) { this.desk = desk; this.data = null; }

  async load() {
    const today = this.desk.clock.today();
    const [answer, coming] = await Promise.all([
      this.desk.api.get("/work-queue"),
      this.desk.api.get(`/scheduling/calendar?from=${today}&to=${addDays(today, 3)}`),
    ]);
    if (!answer.ok) {
      $("queue-lists").replaceChildren(h("p", { class: "error", role: "alert" }, `The work queue could not be read: ${answer.message}`));
      return;
    }
    const now = Date.now();
    const unconfirmed = coming.ok
      ? coming.data.appointments.filter((a) => a.status === "booked" && !a.confirmed && Date.parse(a.start) > now)
      : [];
    this.data = { ...answer.data, unconfirmed };
    this.draw();
  }

  // A live push redraws the queue while a scheduler may be typing in a row's form.
  draw() {
    redrawKeepingInput($("queue-lists"), () => this.drawLists());
  }

  drawLists() {
    const q = this.data;
    $("queue-counts").replaceChildren(...KINDS.map(([kind, title]) =>
      h("li", { "data-kind": kind }, h("a", { href: `#q-${kind}` }, title, ": ", h("strong", { "data-testid": `count-${kind}` }, String(q[kind].length))))));
    $("queue-lists").replaceChildren(...KINDS.map(([kind, title]) => h("section", { id: `q-${kind}`, class: "queue-kind", "data-testid": `queue-${kind}`, "aria-label": title },
      h("h3", {}, `${title} (${q[kind].length})`),
      q[kind].length ? h("table", { class: "rows" }, h("tbody", {}, q[kind].map((item) => this.row(kind, item)))) : h("p", { class: "muted" }, "Nothing to do."))));
  }

  row(kind, item) {
    const { clock } = this.desk;
    if (kind === "call_backs_due") return this.desk.contacts.row(item);
    const when = h("td", {}, clock.when(item.start));
    if (kind === "offers_pending") {
      return h("tr", {}, when, h("td", {}, item.provider_id),
        h("td", { class: item.expired ? "warn" : "" }, `${item.expired ? "expired" : "expires"} ${clock.when(item.expires_at)}`));
    }
    const who = h("td", {}, `${item.initials || "?"} · ${item.appointment_type} · ${item.provider_id}`);
    const open = h("button", { type: "button", onclick: () => this.desk.dialogs.appointment(item.appointment_id) }, "Open");
    let detail = h("td", {}, item.status);
    let actions = [open];
    if (kind === "unverified_coverage") {
      const note = item.insurance_detail ? `: ${item.insurance_detail}` : "";
      detail = h("td", { class: item.insurance === "failed" ? "warn" : "", "data-testid": "insurance-detail" }, `insurance ${item.insurance}${note}`);
      actions = [this.verifyForm(item), open];
    } else if (kind === "checklists_open") {
      detail = h("td", { class: "warn" }, `missing: ${item.missing.join(", ")}`);
    } else if (kind === "reminders_due") {
      detail = h("td", {}, `${Math.round(item.lead_minutes / 60)} h reminder`);
    } else if (kind === "unconfirmed") {
      detail = h("td", { class: item.missing.length ? "warn" : "" }, item.missing.length ? `missing: ${item.missing.join(", ")}` : "ready to confirm");
      const confirm = () => this.send(`/appointments/${encodeURIComponent(item.appointment_id)}/confirm`, {}, "Confirmed");
      actions = [h("button", { type: "button", onclick: confirm }, "Confirm"), open];
    } else if (kind === "no_shows_to_rebook") {
      actions = [h("button", { type: "button", onclick: () => this.rebook(item) }, "Rebook…"), open];
    }
    return h("tr", { "data-appointment": item.appointment_id }, when, who, detail, h("td", { class: "actions" }, actions));
  }

  verifyForm(item) {
    const path = `/appointments/${encodeURIComponent(item.appointment_id)}/insurance-verification`;
    if (item.insurance === "requested") {
      const record = (verified) => this.send(`${path}/result`, { verified, detail: verified ? "confirmed by payer" : "not covered" },
        verified ? "Coverage verified" : "Coverage recorded as failed");
      const ask = this.desk.directory.payer_link
        ? [h("button", { type: "button", onclick: () => this.askPayer(path) }, "Ask the payer")] : [];
      return h("span", { class: "inline-form" }, ...ask,
        h("button", { type: "button", onclick: () => record(true) }, "Payer says covered"),
        h("button", { type: "button", onclick: () => record(false) }, "Payer says not covered"));
    }
    const id = item.appointment_id.replace(/[^A-Za-z0-9_-]/g, "_");
    const payer = h("input", { id: `payer-${id}`, required: true, maxlength: 100, autocomplete: "off" });
    const member = h("input", { id: `member-${id}`, required: true, maxlength: 64, autocomplete: "off" });
    return h("form", { class: "inline-form", onsubmit: (event) => {
      event.preventDefault();
      this.requestCheck(path, { coverage: { payer: payer.value.trim(), member_id: member.value.trim() } });
    } }, h("label", { for: payer.id }, "Payer"), payer, h("label", { for: member.id }, "Member id"), member,
    h("button", { type: "submit" }, "Request check"));
  }

  // With a payer link the request goes straight on to the payer; without
  // one the row waits for the scheduler to record what the payer said.
  async requestCheck(path, body) {
    const answer = await this.desk.api.post(path, body);
    if (!answer.ok) { this.desk.toast(`Not done: ${answer.message}`, answer.status === 409 ? "conflict" : "error"); return; }
    if (this.desk.directory.payer_link) { await this.askPayer(path); return; }
    this.desk.toast("Verification requested");
    this.load();
  }

  async askPayer(path) {
    const answer = await this.desk.api.post(`${path}/payer-check`, {});
    if (!answer.ok) {
      this.desk.toast(`The payer check failed: ${answer.message}`, answer.status === 409 ? "conflict" : "error");
    } else if (answer.data.insurance === "verified") {
      this.desk.toast(`Coverage verified by the payer${answer.data.detail ? ` (ref. ${answer.data.detail})` : ""}`);
    } else {
      this.desk.toast(`The payer says not covered: ${answer.data.detail}`, "conflict");
    }
    this.load();
  }

  async send(path, body, done) {
    const answer = await this.desk.api.post(path, body);
    if (!answer.ok) { this.desk.toast(`Not done: ${answer.message}`, answer.status === 409 ? "conflict" : "error"); return; }
    this.desk.toast(done);
    this.load();
  }

  async rebook(item) {
    const answer = await this.desk.api.get(`/appointments/${encodeURIComponent(item.appointment_id)}`);
    const patient = answer.ok ? answer.data.patient : null;
    this.desk.finder.prefill({ department: item.department, appointment_type: item.appointment_type, patient });
  }
}
