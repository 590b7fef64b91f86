// The patient index on the desk: one search box (MRN, name or birth date),
// the results as buttons, and one patient's view — details, contact,
// coverage, visits, appointments, coverage checks, contacts and the record's
// history — with "Merge into…" for schedulers and admins. Keyboard first:
// Enter searches, Tab walks the results, Enter opens one; focus moves to what
// just appeared. Every search and view is an audited read on the server.

import { h } from "./dom.js";

const $ = (id) => document.getElementById(id);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MRN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MERGERS = new Set(["scheduler", "admin"]);

// What the box holds: a birth date, an MRN (a word with a digit), else a name.
export function criteria(text) {
  const value = text.trim();
  if (DATE.test(value)) return { birth_date: value };
  if (MRN.test(value) && /\d/.test(value)) return { mrn: value };
  return { name: value };
}

const fullName = (p) => [p.family_name, p.given_name].filter(Boolean).join(", ") || p.initials || "(no name)";
const table = (testid, head, rows) => rows.length
  ? h("table", { class: "rows", "data-testid": testid },
    h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c ?? ""))))))
  : h("p", { class: "muted", "data-testid": testid }, "none");

export class Patients {
  constructor(desk) {
    this.desk = desk;
    this.shown = null;
    $("pat-form").addEventListener("submit", (event) => { event.preventDefault(); this.search(); });
  }

  async search() {
    const text = $("pat-query").value;
    if (!text.trim()) { $("pat-status").textContent = "Type an MRN, a name or a birth date (YYYY-MM-DD)."; return; }
    const answer = await this.desk.api.get(`/patients?${new URLSearchParams(criteria(text))}`);
    if (!answer.ok) { $("pat-status").textContent = answer.message; return; }
    const results = answer.data.results;
    $("pat-status").textContent = `${results.length} record${results.length === 1 ? "" : "s"} found`;
    $("pat-results").replaceChildren(...results.map((p) => h("li", {},
      h("button", { type: "button", "data-testid": "pat-result", "data-mrn": p.mrn, onclick: () => this.open(p.mrn) },
        `${fullName(p)} · MRN ${p.mrn ?? "—"} · born ${p.birth_date ?? "?"} · ${p.visits} visit(s), ${p.appointments} appointment(s)`
        + (p.status === "merged" ? ` · merged into ${p.merged_into}` : "")))));
    const first = $("pat-results").querySelector("button");
    if (first) first.focus();
  }

  async open(mrn) {
    const answer = await this.desk.api.get(`/patients/${encodeURIComponent(mrn)}`);
    if (!answer.ok) { this.desk.toast(answer.message, "error"); return; }
    this.shown = answer.data;
    this.draw();
    $("pat-view-title").focus();
  }

  draw() {
    const p = this.shown, { clock } = this.desk;
    const when = (iso) => (iso ? clock.when(iso) : "");
    const facts = [["MRN", p.mrn], ["Born", p.birth_date], ["Sex", p.sex],
      ["Phone", p.contact && p.contact.phone], ["E-mail", p.contact && p.contact.email],
      ["Coverage", p.coverage && `${p.coverage.payer} ${p.coverage.plan || ""} · member ${p.coverage.member_id}`]];
    if (p.merged_from.length) facts.push(["Merged from", p.merged_from.join(", ")]);
    const status = p.status === "merged"
      ? h("p", { class: "warn", "data-testid": "pat-merged" }, `Merged into ${p.merged_into}: its visits and appointments are there. `,
        h("button", { type: "button", onclick: () => this.open(p.merged_into) }, `Open ${p.merged_into}`))
      : null;
    $("pat-view").replaceChildren(...[
      h("h3", { id: "pat-view-title", tabindex: -1, "data-testid": "pat-view-title" }, `${fullName(p)} · MRN ${p.mrn ?? "—"}`),
      status,
      h("dl", { class: "facts" }, facts.filter(([, v]) => v).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      this.mergeForm(p),
      h("h4", {}, "Visits"),
      table("pat-visits", ["visit", "arrived", "status", "registered as"],
        p.visits.map((v) => [v.visit_number, when(v.arrived_at), v.status, v.registered_as])),
      h("h4", {}, "Appointments"),
      table("pat-appointments", ["appointment", "when", "provider", "status", "insurance", "booked as"],
        p.appointments.map((a) => [a.appointment_id, when(a.start), a.provider_id, a.status, a.insurance, a.booked_as])),
      h("h4", {}, "Coverage checks"),
      table("pat-coverage", ["appointment", "payer", "asked", "by", "answer"],
        p.coverage_checks.map((c) => [c.appointment_id, c.payer, when(c.requested_at), c.requested_by,
          c.status + (c.note ? `: ${c.note}` : "")])),
      h("h4", {}, "Contacts"),
      table("pat-contacts", ["when", "channel", "reason", "outcome", "by"],
        p.contacts.map((c) => [when(c.at), `${c.channel} (${c.direction})`, c.reason, c.outcome, c.by.id])),
      h("h4", {}, "History of this record"),
      table("pat-history", ["when", "what", "by", "why"],
        p.history.map((e) => [when(e.occurred_at), e.summary, `${e.by.id} (${e.by.role})`, e.reason])),
    ].filter(Boolean));
  }

  mergeForm(p) {
    if (p.status !== "active" || !MERGERS.has(this.desk.role)) return null;
    const into = h("input", { id: "pat-merge-into", required: true, maxlength: 64, pattern: MRN.source, autocomplete: "off" });
    const reason = h("input", { id: "pat-merge-reason", required: true, maxlength: 200, autocomplete: "off" });
    const error = h("p", { class: "error", role: "alert", "data-testid": "pat-merge-error" });
    const confirm = h("div", { class: "actions", hidden: true, "data-testid": "pat-merge-confirm" });
    const form = h("form", { class: "inline-form", "data-testid": "pat-merge-form", onsubmit: (event) => {
      event.preventDefault();
      error.textContent = "";
      if (into.value.trim() === p.mrn) { error.textContent = "A record cannot be merged into itself."; return; }
      const yes = h("button", { type: "button", onclick: () => this.merge(p.mrn, into.value.trim(), reason.value.trim(), error) },
        `Yes, merge ${p.mrn} into ${into.value.trim()}`);
      confirm.replaceChildren(h("span", {}, `${p.mrn}'s visits and appointments will belong to ${into.value.trim()}.`), yes,
        h("button", { type: "button", onclick: () => { confirm.hidden = true; into.focus(); } }, "Keep both"));
      confirm.hidden = false;
      yes.focus();
    } },
    h("label", { for: into.id }, "Merge this record into MRN"), into,
    h("label", { for: reason.id }, "Why"), reason,
    h("button", { type: "submit" }, "Merge…"));
    return h("div", { class: "merge" }, form, confirm, error);
  }

  async merge(mrn, into, reason, error) {
    const answer = await this.desk.api.post(`/patients/${encodeURIComponent(mrn)}/merge`, { into, reason });
    if (!answer.ok) { error.textContent = answer.message; return; }
    this.desk.toast(`${mrn} merged into ${into}`);
    await this.open(mrn);
  }
}
