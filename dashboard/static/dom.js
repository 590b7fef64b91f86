// Small DOM and formatting pieces. Text always goes in through textContent,
// never as HTML: board values come from outside the page.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function svg(tag, attrs = {}) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

export function minutesBetween(fromIso, nowMs) {
  if (!fromIso) return null;
  return Math.max(0, (nowMs - Date.parse(fromIso)) / 60000);
}

export function duration(minutes) {
  if (minutes === null || minutes === undefined) return "–";
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

// Times and days are the facility's (its time zone comes with the board),
// whatever the time zone of the screen showing them.
export function clock(iso, timeZone, withZone = false) {
  if (!iso) return "–";
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone };
  if (withZone) options.timeZoneName = "short";
  return new Date(iso).toLocaleTimeString([], options);
}

export const localDay = (iso, timeZone) => (iso ? new Date(iso).toLocaleDateString("sv", { timeZone }) : "");

export function replace(container, ...children) {
  container.replaceChildren(...children.flat().filter((c) => c));
}
