// The bed manager's page: the boarding panel with actions (assign an
// inpatient bed, mark it ready). The page changes only with the board
// deltas that follow a command, as the ED board does.

import { boarders, drawBoarding, units } from "./boarding.js";
import { Commands } from "./commands.js";
import { BoardConnection } from "./connection.js";
import { clock, h } from "./dom.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "edflow.token";
const FACILITY_KEY = "edflow.facility";
let connection = null, commands = null, drawQueued = false;
const typing = new Map();  // encounter id -> {unit, bed} typed but not yet sent

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch (_) { return null; }
}

function toast(message, kind = "ok") {
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "ok" ? "status" : "alert", "data-testid": `toast-${kind}` }, message);
  $("toasts").append(el);
  setTimeout(() => el.remove(), kind === "ok" ? 3000 : 9000);
}

// Bed ids as the facility file generates them ("4W-007" for a unit of 120).
function bedIds(unitId, staffed) {
  const width = Math.max(2, String(staffed).length);
  return Array.from({ length: staffed || 0 }, (_, i) => `${unitId}-${String(i + 1).padStart(width, "0")}`);
}

function actionsFor(encounterId, enc) {
  const r = enc.bed_request;
  if (!r || !["requested", "assigned", "ready"].includes(r.state)) return [];
  const draft = typing.get(encounterId) || { unit: r.unit || r.inpatient_unit || "", bed: "" };
  typing.set(encounterId, draft);
  const unitIds = units(connection.entities).map(([id]) => id);
  const unitPick = h("select", { "data-testid": "assign-unit", onchange: (ev) => { draft.unit = ev.target.value; } },
    h("option", { value: "" }, "unit…"), unitIds.map((u) => h("option", { value: u, selected: u === draft.unit }, u)));
  const bedInput = h("input", { "data-testid": "assign-bed", list: "bed-ids", placeholder: "bed", value: draft.bed,
                                oninput: (ev) => { draft.bed = ev.target.value.trim(); } });
  const run = (work) => async (ev) => { ev.target.disabled = true; await work(); ev.target.disabled = false; };
  return [unitPick, bedInput,
    h("button", { type: "button", "data-action": "assign-inpatient", onclick: run(async () => {
      if (!draft.unit || !draft.bed) { toast("Choose a unit and a bed first.", "error"); return; }
      if (await commands.assignInpatient(encounterId, draft.unit, draft.bed)) typing.delete(encounterId);
    }) }, r.state === "requested" ? "Assign" : "Reassign"),
    r.state === "assigned" ? h("button", { type: "button", "data-action": "bed-ready", onclick: run(() => commands.inpatientReady(encounterId)) }, "Bed ready") : null];
}

function draw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    if (!connection) return;
    // Inputs being typed in are not redrawn under the user's hands.
    if (document.activeElement && $("boarding").contains(document.activeElement) && document.activeElement.tagName !== "BUTTON") return;
    const entities = connection.entities;
    const now = Math.max(Date.now(), connection.asOf ? Date.parse(connection.asOf) : 0);
    drawBoarding($("boarding"), entities, now, actionsFor);
    $("boarding-count").textContent = `(${boarders(entities).length})`;
    $("bed-ids").replaceChildren(...units(entities).flatMap(([id, u]) => bedIds(id, u.staffed).map((b) => h("option", { value: b }))));
    $("as-of").textContent = connection.asOf ? `as of ${clock(connection.asOf, connection.timeZone, true)}` : "";
  });
}

function open(token, facility, c) {
  $("login").hidden = true;
  $("page").hidden = false;
  $("sign-out").hidden = false;
  $("facility-name").textContent = facility;
  $("who").textContent = `${c.sub} · ${c.role}`;
  commands = new Commands(token, facility, toast);
  connection = new BoardConnection({
    token, facility, unit: null,
    onState: (name) => { $("connection").textContent = name; $("connection").dataset.state = name; $("connection").className = `connection state-${name}`; },
    onBoard: () => draw(),
    onRefused: (reason) => { signOut(); $("login-error").textContent = `The board refused this sign-in: ${reason}`; },
  });
  connection.start();
}

function signIn(token, facility) {
  const c = claims(token);
  if (!c || !Array.isArray(c.facilities)) return "That does not look like an edflow token.";
  if (c.exp && c.exp * 1000 < Date.now()) return "This token has expired; get a new one.";
  facility = facility || c.facilities.find((f) => f !== "*");
  if (!facility) return "This token is valid for all facilities: enter the facility to open.";
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(FACILITY_KEY, facility);
  open(token, facility, c);
  return null;
}

function signOut() {
  if (connection) connection.stop();
  connection = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("page").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  $("who").textContent = "";
}

function start() {
  if (new URLSearchParams(location.search).has("token")) {
    window.history.replaceState(null, "", location.pathname);
    $("login-error").textContent = "Tokens are not accepted in the address; paste it here instead.";
  }
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const error = signIn($("token").value.trim(), $("facility").value.trim());
    $("login-error").textContent = error || "";
    $("token").value = "";
  });
  $("sign-out").addEventListener("click", signOut);
  setInterval(draw, 30000);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token && !signIn(token, sessionStorage.getItem(FACILITY_KEY))) return;
  $("login").hidden = false;
}

start();
