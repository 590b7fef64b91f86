// What the signed-in role may do for the selected patient from the board:
// triage (ESI), assign the provider, assign the nurse. Each form appears only
// for the roles the server allows it; the board changes when the event's
// delta arrives, not on the reply.

import { h, replace } from "./dom.js";

const MAY = {
  triage: new Set(["charge-nurse", "provider", "admin"]),
  provider: new Set(["charge-nurse", "provider", "admin"]),
  nurse: new Set(["charge-nurse", "admin"]),
};

export function staffLine(e) {
  const parts = [];
  if (e.provider_id) parts.push(`Dr ${e.provider_id}`);
  if (e.nurse_id) parts.push(`RN ${e.nurse_id}`);
  return parts.join(" · ");
}

function staffForm(label, testid, value, send) {
  const input = h("input", { value: value || "", required: true, maxlength: 64, "aria-label": `${label} staff id`, size: 10 });
  return h("form", { class: "staff-form", "data-testid": testid, onsubmit: (ev) => {
    ev.preventDefault();
    const id = input.value.trim();
    if (id) send(id);
  } }, h("label", {}, `${label} `, input), h("button", { type: "submit" }, "Assign"));
}

export function drawPatientActions(container, encounterId, e, role, commands) {
  if (!e || !commands) { replace(container); container.hidden = true; return; }
  // Keep a form the user is typing in: redraw only when the patient changes.
  if (container.dataset.encounter === encounterId && container.dataset.esi === String(e.esi ?? "")) {
    container.hidden = false;
    return;
  }
  container.dataset.encounter = encounterId;
  container.dataset.esi = String(e.esi ?? "");
  const forms = [];
  if (MAY.triage.has(role)) {
    const pick = h("select", { "aria-label": "ESI level" },
      [1, 2, 3, 4, 5].map((n) => h("option", { value: n, ...(e.esi === n ? { selected: true } : {}) }, `ESI ${n}`)));
    forms.push(h("form", { class: "staff-form", "data-testid": "triage-form", onsubmit: (ev) => {
      ev.preventDefault();
      commands.triage(encounterId, Number(pick.value));
    } }, h("label", {}, "Triage ", pick), h("button", { type: "submit" }, "Set")));
  }
  if (MAY.provider.has(role)) forms.push(staffForm("Provider", "provider-form", e.provider_id, (id) => commands.assignProvider(encounterId, id)));
  if (MAY.nurse.has(role)) forms.push(staffForm("Nurse", "nurse-form", e.nurse_id, (id) => commands.assignNurse(encounterId, id)));
  replace(container, forms);
  container.hidden = forms.length === 0;
}

export function clearPatientActions(container) {
  delete container.dataset.encounter;
  replace(container);
  container.hidden = true;
}
