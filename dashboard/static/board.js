// The board page: sign-in (token kept in sessionStorage, never in the URL),
// the live connection, the panels, and the charge-nurse actions.

import { boarders, drawBoarding } from "./boarding.js";
import { Commands } from "./commands.js";
import { BoardConnection } from "./connection.js";
import { clock, h, localDay } from "./dom.js";
import { drawAlert, drawAppointments, drawBeds, drawCapacity, drawMetrics, drawWaiting } from "./panels.js";
import { capacityAt } from "./instant.js";
import { offerMeasures } from "./measures.js";
import { clearPatientActions, drawPatientActions } from "./patient_actions.js";
import { drawSparkline, History } from "./sparkline.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "edflow.token";
const FACILITY_KEY = "edflow.facility";
const UNIT_KEY = "edflow.unit";
const STATE_TEXT = { connecting: "connecting…", live: "live", reconnecting: "reconnecting", resyncing: "resyncing",
                     stale: "stale", waiting: "waiting for board", refused: "refused", error: "error", offline: "offline" };

let connection = null, commands = null, selected = null, drawQueued = false, role = null;
const trend = new History();
const knownUnits = new Set();

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

function showState(name, detail) {
  const el = $("connection");
  let text = STATE_TEXT[name] || name;
  if (name === "stale" && detail) text = `stale since ${clock(detail, connection && connection.timeZone, true)}`;
  else if (detail && name !== "live") text += ` · ${detail}`;
  el.textContent = text;
  el.className = `connection state-${name}`;
  el.dataset.state = name;
}

function signIn(token, facility) {
  const c = claims(token);
  if (!c || !Array.isArray(c.facilities)) return "That does not look like an edflow token.";
  if (c.exp && c.exp * 1000 < Date.now()) return "This token has expired; get a new one.";
  facility = facility || c.facilities.find((f) => f !== "*");
  if (!facility) return "This token is valid for all facilities: enter the facility to open.";
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(FACILITY_KEY, facility);
  openBoard(token, facility, c);
  return null;
}

function openBoard(token, facility, c) {
  $("login").hidden = true;
  $("board").hidden = false;
  $("sign-out").hidden = false;
  $("facility-name").textContent = facility;
  $("who").textContent = `${c.sub} · ${c.role}`;
  offerMeasures(token, facility, c.role);
  role = c.role;
  commands = new Commands(token, facility, toast);
  fetch(`/board/history?facility=${encodeURIComponent(facility)}`, { headers: { Authorization: `Bearer ${token}` } })
    .then((r) => (r.ok ? r.json() : { points: [] })).then((body) => { trend.load(body.points || []); draw(); })
    .catch(() => {});
  connect(token, facility);
}

function connect(token, facility) {
  if (connection) connection.stop();
  const unit = sessionStorage.getItem(UNIT_KEY) || null;
  connection = new BoardConnection({
    token, facility, unit, onState: showState,
    onBoard: (conn, changes) => {
      const cap = changes.findLast((ch) => ch.kind === "capacity");  // a frame may carry several
      if (cap) trend.add(conn.asOf, cap.value);
      draw();
    },
    onRefused: (reason) => { signOut(); $("login-error").textContent = `The board refused this sign-in: ${reason}`; },
  });
  connection.start();
}

function pickUnit(event) {
  const unit = event.target.value;
  if (unit) sessionStorage.setItem(UNIT_KEY, unit); else sessionStorage.removeItem(UNIT_KEY);
  connect(connection.token, connection.facility);
}

function showUnits(entities) {
  // Units seen on any board so far: a one-unit view still offers the others.
  const before = knownUnits.size;
  for (const [key, value] of entities) if (key.startsWith("bed|") && value.unit) knownUnits.add(value.unit);
  const select = $("unit");
  if (knownUnits.size !== before) {
    select.replaceChildren(h("option", { value: "" }, "all units"),
      ...[...knownUnits].sort().map((u) => h("option", { value: u }, u)));
  }
  select.value = connection.unit || "";
  select.parentElement.hidden = knownUnits.size < 2;
}

function signOut() {
  if (connection) connection.stop();
  connection = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("board").hidden = true;
  $("alerts").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  $("who").textContent = "";
  showState("offline");
}

function select(encounterId) {
  selected = selected === encounterId ? null : encounterId;
  draw();
}

function bedActions(bedId, bed, enc) {
  const button = (label, run, testid) => h("button", { type: "button", "data-action": testid, onclick: async (ev) => {
    ev.stopPropagation();
    ev.target.disabled = true;
    await run();
    ev.target.disabled = false;
  } }, label);
  switch (bed.status) {
    case "available":
      return [selected ? button("Assign here", () => { const id = selected; selected = null; return commands.assignBed(id, bedId); }, "assign") : null,
              button("Block", () => askBlock(bedId), "block")];
    case "occupied":
      return [button("Release", () => commands.release(bedId), "release"),
              enc ? button("Move…", () => select(bed.encounter_id), "move") : null];
    case "dirty": return [button("Start cleaning", () => commands.startCleaning(bedId), "start-cleaning")];
    case "cleaning": return [button("Cleaned", () => commands.cleaned(bedId), "cleaned")];
    case "blocked": return [button("Unblock", () => commands.unblock(bedId), "unblock")];
    default: return [];
  }
}

function askBlock(bedId) {
  const dialog = $("block-dialog");
  $("block-bed").textContent = bedId;
  $("block-reason").value = "";
  dialog.onclose = () => {
    if (dialog.returnValue === "block" && $("block-reason").value.trim()) commands.block(bedId, $("block-reason").value.trim());
  };
  dialog.showModal();
}

function draw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    if (!connection) return;
    const entities = connection.entities;
    showUnits(entities);
    const now = Math.max(Date.now(), connection.asOf ? Date.parse(connection.asOf) : 0);
    if (selected && !entities.has("encounter|" + selected)) selected = null;
    const count = drawWaiting($("waiting-rows"), entities, now, selected, select);
    $("waiting-count").textContent = `(${count})`;
    const chosen = selected && entities.get("encounter|" + selected);
    $("selection").textContent = chosen ? `Selected ${chosen.initials || "?"} (${chosen.chief_complaint || "no complaint"}): choose an available bed.` : "";
    if (chosen) drawPatientActions($("patient-actions"), selected, chosen, role, commands); else clearPatientActions($("patient-actions"));
    drawBeds($("units"), entities, now, bedActions);
    drawCapacity($("capacity"), capacityAt(entities.get("capacity|ed"), entities, now));
    drawBoarding($("boarding"), entities, now);
    $("boarding-count").textContent = `(${boarders(entities).length})`;
    drawMetrics($("metrics"), entities.get("metrics|today"));
    const zone = connection.timeZone;
    drawAlert($("alerts"), entities.get("alert|dead-letters"), zone);
    drawAppointments($("appointments"), entities, localDay(new Date(now).toISOString(), zone), zone);
    drawSparkline($("spark-census"), trend.points, 1, "Census");
    drawSparkline($("spark-waiting"), trend.points, 2, "Waiting");
    $("as-of").textContent = connection.asOf ? `as of ${clock(connection.asOf, zone, true)}` : "";
  });
}

function start() {
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    // Tokens in URLs end up in history and logs: refuse, and scrub it.
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
  $("unit").addEventListener("change", pickUnit);
  setInterval(draw, 30000);  // waits and time-in-state move on without events
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token && !signIn(token, sessionStorage.getItem(FACILITY_KEY))) return;
  $("login").hidden = false;
}

start();
