// The hallway screen: per-stay codes, stage and a wait band, pushed by the
// server over /ws/hallway. No names, record numbers or birth dates ever reach
// this page. It reconnects by itself, and says "not live" when the feed stops.

import { h, replace } from "./dom.js";

const TOKEN_KEY = "edflow.hallway.token";
const FACILITY_KEY = "edflow.hallway.facility";
const SILENT_MS = 15000;  // the server sends at least every 5 s
const $ = (id) => document.getElementById(id);
let ws = null;
let heardAt = 0;
let attempt = 0;

function setLive(live, why) {
  document.body.classList.toggle("not-live", !live);
  $("live").textContent = live ? "live" : `not live${why ? ` · ${why}` : ""}`;
}

function show(frame) {
  const stays = frame.stays || [];
  replace($("stay-rows"), stays.map((s) => h("tr", { "data-testid": "stay", "data-code": s.code },
    h("td", { class: "code" }, s.code), h("td", {}, s.stage), h("td", {}, s.waiting))));
  $("empty").hidden = stays.length > 0;
  $("clock").textContent = frame.as_of ? new Date(frame.as_of).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

function connect(token, facility) {
  const url = new URL("/ws/hallway", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("facility", facility);
  ws = new WebSocket(url, ["edflow.v1", "bearer." + token]);
  ws.onmessage = (event) => {
    heardAt = Date.now();
    attempt = 0;
    const frame = JSON.parse(event.data);
    if (frame.type !== "hallway") return;
    setLive(frame.ready, frame.ready ? "" : "no board yet");
    show(frame);
  };
  ws.onclose = (event) => {
    setLive(false, "reconnecting");
    if (event.code === 1008) {  // refused: a new token is needed
      $("login").hidden = false;
      $("login-error").textContent = event.reason || "refused";
      return;
    }
    attempt += 1;
    setTimeout(() => connect(token, facility), Math.min(10000, 500 * 2 ** Math.min(attempt, 5)));
  };
}

function watchdog() {
  if (ws && ws.readyState === WebSocket.OPEN && Date.now() - heardAt > SILENT_MS) {
    setLive(false, "feed stopped");
    ws.close(4000, "server silent");  // onclose reconnects
  }
}

function start() {
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    sessionStorage.setItem(FACILITY_KEY, $("facility").value.trim());
    $("token").value = "";
    $("login").hidden = true;
    connect(sessionStorage.getItem(TOKEN_KEY), sessionStorage.getItem(FACILITY_KEY));
  });
  setInterval(watchdog, 1000);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) connect(token, sessionStorage.getItem(FACILITY_KEY));
  else $("login").hidden = false;
}

start();
