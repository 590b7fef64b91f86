// The scheduling API with the user's own token: one Idempotency-Key per
// intent, errors turned into one readable sentence, and the facility's clock
// (days and times are shown in the facility's time zone, not the screen's).

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function newId(prefix) { return `${prefix}-${newKey().slice(0, 12)}`; }

export class Api {
  constructor(token, facility) {
    Object.assign(this, { token, facility });
    this.base = `/api/v1/facilities/${encodeURIComponent(facility)}`;
  }

  async call(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (method !== "GET") Object.assign(headers, { "Content-Type": "application/json", "Idempotency-Key": newKey() });
    let response;
    try {
      response = await fetch(this.base + path, { method, headers, body: method === "GET" ? undefined : JSON.stringify(body || {}) });
    } catch (_) {
      return { ok: false, status: 0, code: "offline", message: "the server could not be reached; nothing was changed" };
    }
    let data = null;
    try { data = await response.json(); } catch (_) { /* not JSON */ }
    if (response.ok) return { ok: true, status: response.status, data };
    const error = data && data.error;
    let message = `${response.status} ${response.statusText}`;
    if (error) {
      const fields = error.fields || (error.details && error.details.fields);
      message = error.message + (fields ? ": " + fields.map((f) => `${f.field} ${f.message}`).join("; ") : "");
    }
    return { ok: false, status: response.status, code: error ? error.code : "", message, data };
  }

  get(path) { return this.call("GET", path); }
  post(path, body) { return this.call("POST", path, body); }
  put(path, body) { return this.call("PUT", path, body); }
}

export class Clock {
  constructor(timeZone) {
    this.timeZone = timeZone;
    this.dayFmt = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    this.timeFmt = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hour12: false });
    this.labelFmt = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short" });
  }
  day(iso) { return this.dayFmt.format(new Date(iso)); }          // YYYY-MM-DD, facility's calendar
  time(iso) { return this.timeFmt.format(new Date(iso)); }        // HH:MM, facility's clock
  hour(iso) { return Number(this.time(iso).slice(0, 2)); }
  when(iso) { return `${this.labelFmt.format(new Date(iso))} ${this.time(iso)}`; }
  today() { return this.dayFmt.format(new Date()); }
  weekday(day) { return (new Date(day + "T12:00:00Z").getUTCDay() + 6) % 7; }  // 0 = Monday
  dayLabel(day) { return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" }).format(new Date(day + "T12:00:00Z")); }
}

export function addDays(day, n) {
  const d = new Date(day + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function plusMinutes(iso, minutes) { return new Date(Date.parse(iso) + minutes * 60000).toISOString(); }
