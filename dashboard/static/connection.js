// The board WebSocket (protocol edflow.v1): snapshot, then numbered deltas
// (one by one, or several consecutive ones in a "deltas" frame).
// Keeps the entity map, resumes with since/epoch after a drop, asks for a
// resync on any gap, and never applies a delta that does not follow.

const PING_MS = 15000;
const SILENT_MS = 45000;
const decoder = new TextDecoder();

export class BoardConnection {
  constructor({ token, facility, unit, onBoard, onState, onRefused }) {
    Object.assign(this, { token, facility, unit, onBoard, onState, onRefused });
    this.entities = new Map();   // "kind|id" -> value
    this.seq = null;
    this.epoch = null;
    this.asOf = null;
    this.timeZone = undefined;
    this.staleSince = null;
    this.attempt = 0;
    this.stopped = false;
  }

  start() { this.open(); }

  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    clearTimeout(this.retry);
    if (this.ws) this.ws.close(1000, "signed out");
  }

  open() {
    const url = new URL("/ws/board", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("facility", this.facility);
    if (this.unit) url.searchParams.set("unit", this.unit);
    if (this.seq !== null && this.epoch) {
      url.searchParams.set("since", String(this.seq));
      url.searchParams.set("epoch", this.epoch);
    }
    this.state(this.attempt ? "reconnecting" : "connecting");
    const ws = new WebSocket(url, ["edflow.v1", "bearer." + this.token]);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.heardAt = Date.now();
    ws.onmessage = (event) => {
      this.heardAt = Date.now();
      const text = typeof event.data === "string" ? event.data : decoder.decode(event.data);
      this.handle(JSON.parse(text));
    };
    ws.onclose = (event) => this.closed(event);
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.beat(), PING_MS);
  }

  beat() {
    if (Date.now() - this.heardAt > SILENT_MS) {
      this.ws.close(4000, "server silent");  // onclose reconnects
      return;
    }
    this.send({ type: "ping", t: Date.now() / 1000 });
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  closed(event) {
    clearInterval(this.pinger);
    if (this.stopped) return;
    if (event.code === 1008) {
      this.state("refused", event.reason || "not allowed");
      this.onRefused(event.reason || "the server refused this token");
      return;
    }
    this.attempt += 1;
    const delay = Math.min(10000, 500 * 2 ** Math.min(this.attempt - 1, 5));
    this.state("reconnecting", `retry in ${Math.round(delay / 1000)} s`);
    this.retry = setTimeout(() => this.open(), delay);
  }

  handle(frame) {
    switch (frame.type) {
      case "snapshot":
        this.entities.clear();
        for (const c of frame.changes) this.entities.set(c.kind + "|" + c.id, c.value);
        this.seq = frame.seq;
        this.epoch = frame.epoch;
        this.asOf = frame.as_of;
        this.staleSince = frame.stale_since;
        this.timeZone = frame.time_zone || undefined;  // undefined: the screen's own
        this.live(frame.changes);
        break;
      case "delta":
        this.follow([frame]);
        break;
      case "deltas":  // consecutive deltas of one tick, in order
        this.follow(frame.deltas);
        break;
      case "resumed":
        this.live([]);
        break;
      case "stale":
        this.staleSince = frame.since;
        this.state("stale", frame.since);
        break;
      case "status":
        this.state("waiting", frame.message);
        break;
      case "ping":
        this.send({ type: "pong", t: frame.t });
        break;
      case "error":
        this.state("error", frame.message);
        break;
    }
  }

  follow(deltas) {
    // Applies the deltas that follow what it holds, in order; a repeat is
    // skipped, anything else is a gap: ask for a resync, apply nothing more.
    const changes = [];
    let moved = false, gap = false;
    for (const d of deltas) {
      if (d.epoch !== this.epoch || this.seq === null || d.seq !== this.seq + 1) {
        if (this.seq !== null && d.seq <= this.seq && d.epoch === this.epoch) continue;  // a repeat
        this.state("resyncing");
        this.send({ type: "resync" });
        gap = true;
        break;
      }
      for (const c of d.changes) {
        const key = c.kind + "|" + c.id;
        if (c.value === null) this.entities.delete(key); else this.entities.set(key, c.value);
        changes.push(c);
      }
      this.seq = d.seq;
      this.asOf = d.as_of;
      moved = true;
    }
    if (moved && !gap) this.live(changes);
    else if (moved) this.onBoard(this, changes);  // shown, still resyncing
  }

  live(changes) {
    this.attempt = 0;
    if (this.staleSince) this.state("stale", this.staleSince); else this.state("live");
    this.onBoard(this, changes);
  }

  state(name, detail = "") { this.onState(name, detail); }
}
