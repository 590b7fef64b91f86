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

// Redraw what is inside `container` (a live push) without losing what the
// person was entering there: values of fields with an id, the focus and the
// caret carry over to the fields of the same id in the new content.
export function redrawKeepingInput(container, redraw) {
  const kept = [...container.querySelectorAll("input[id], select[id], textarea[id]")].map((field) => [field.id, field.value]);
  const active = container.contains(document.activeElement) && document.activeElement.id ? document.activeElement : null;
  const caret = active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
  redraw();
  for (const [id, value] of kept) {
    const field = document.getElementById(id);
    if (field && container.contains(field)) field.value = value;
  }
  const again = active ? document.getElementById(active.id) : null;
  if (!again || !container.contains(again)) return;
  again.focus();
  if (caret && typeof again.selectionStart === "number") again.setSelectionRange(...caret);
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
