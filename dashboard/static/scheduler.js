// The scheduling desk: sign-in (the board's: token in sessionStorage, never
// in the URL), the three views, and the live board connection that tells
// every open desk when appointments change so it reloads what it shows.

import { BoardConnection } from "./connection.js";
import { h } from "./dom.js";
import { Api, Clock } from "./scheduler_api.js";
import { Calendar } from "./scheduler_calendar.js";
import { Contacts } from "./scheduler_contacts.js";
import { Dialogs } from "./scheduler_dialogs.js";
import { Finder } from "./scheduler_find.js";
import { Patients } from "./scheduler_patients.js";
import { Queue } from "./scheduler_queue.js";
import { Reports } from "./scheduler_reports.js";
import { Waitlist } from "./scheduler_waitlist.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "edflow.token";
const FACILITY_KEY = "edflow.facility";
const STATE_TEXT = { connecting: "connecting…", live: "live", reconnecting: "reconnecting", resyncing: "resyncing",
                     stale: "stale", waiting: "waiting for board", refused: "refused", error: "error", offline: "offline" };

let connection = null, reloadTimer = null;
const desk = { api: null, clock: null, directory: null, appointments: new Map(), toast };

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch (_) { return null; }
}

function toast(message, kind = "ok") {
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "ok" ? "status" : "alert", "data-testid": `toast-${kind}` }, message);
  $("toasts").append(el);
  setTimeout(() => el.remove(), kind === "ok" ? 4000 : 9000);
}

function showState(name, detail) {
  const el = $("connection");
  el.textContent = (STATE_TEXT[name] || name) + (detail && name !== "live" ? ` · ${detail}` : "");
  el.className = `connection state-${name}`;
  el.dataset.state = name;
}

function show(view) {
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
  }
  for (const name of ["queue", "calendar", "find", "waitlist", "reports", "patients"]) $(`view-${name}`).hidden = name !== view;
  desk.view = view;
  if (view === "calendar") desk.calendar.load();
  if (view === "queue") desk.queue.load();
  if (view === "waitlist") desk.waitlist.load();
  $(`${{ queue: "queue", calendar: "cal", find: "find", waitlist: "waitlist", reports: "reports", patients: "patients" }[view]}-title`).focus();
}

// Everything that changes the schedule goes through here: the desk reloads
// at once for its own change, and on a push for everyone else's.
desk.changed = () => {
  desk.calendar.load();
  desk.queue.load();
  if (desk.view === "waitlist") desk.waitlist.load();
  if (desk.view === "find" && document.querySelector("#find-results button")) desk.finder.search();
};
desk.show = show;

async function signIn(token, facility) {
  const c = claims(token);
  if (!c || !Array.isArray(c.facilities)) return "That does not look like an edflow token.";
  if (c.exp && c.exp * 1000 < Date.now()) return "This token has expired; get a new one.";
  facility = facility || c.facilities.find((f) => f !== "*");
  if (!facility) return "This token is valid for all facilities: enter the facility to open.";
  const api = new Api(token, facility);
  const directory = await api.get("/scheduling/directory");
  if (!directory.ok) return `The scheduling desk cannot open: ${directory.message}`;
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(FACILITY_KEY, facility);
  Object.assign(desk, { api, directory: directory.data, clock: new Clock(directory.data.facility.time_zone) });
  $("login").hidden = true;
  $("desk").hidden = false;
  $("sign-out").hidden = false;
  $("facility-name").textContent = directory.data.facility.name;
  $("who").textContent = `${c.sub} · ${c.role}`;
  desk.dialogs = new Dialogs(desk);
  desk.calendar = new Calendar(desk);
  desk.finder = new Finder(desk);
  desk.queue = new Queue(desk);
  desk.contacts = new Contacts(desk);
  desk.reports = new Reports(desk);
  desk.waitlist = new Waitlist(desk);
  desk.role = c.role;
  desk.patients = new Patients(desk);
  connect(token, facility);
  show("queue");
  return null;
}

function connect(token, facility) {
  if (connection) connection.stop();
  connection = new BoardConnection({
    token, facility, unit: null, onState: showState,
    onBoard: (conn, changes) => {
      desk.appointments = new Map();
      for (const [key, value] of conn.entities) {
        if (key.startsWith("appointment|")) desk.appointments.set(key.slice("appointment|".length), value);
      }
      if (changes.some((c) => c.kind === "appointment" || c.kind === "schedule")) {
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(desk.changed, 50);
      } else if (desk.view === "calendar") desk.calendar.draw();
    },
    onRefused: (reason) => { signOut(); $("login-error").textContent = `The board refused this sign-in: ${reason}`; },
  });
  connection.start();
}

function signOut() {
  if (connection) connection.stop();
  connection = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(FACILITY_KEY);
  location.reload();
}

function start() {
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
  for (const id of ["queue-title", "cal-title", "find-title", "waitlist-title", "reports-title", "patients-title"]) $(id).tabIndex = -1;
  $("sign-out").addEventListener("click", signOut);
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = await signIn($("token").value.trim(), $("facility").value.trim());
    $("login-error").textContent = problem || "";
  });
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    signIn(token, sessionStorage.getItem(FACILITY_KEY)).then((problem) => {
      if (problem) { $("login").hidden = false; $("login-error").textContent = problem; }
    });
  } else {
    $("login").hidden = false;
    $("token").focus();
  }
}

start();
