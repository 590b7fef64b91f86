// The monthly quality measures download on the board (OP-18, ED-1, ED-2,
// door-to-provider, LWBS), for the roles the server allows it; others never
// see the form.

import { downloadWithToken } from "./download.js";

const $ = (id) => document.getElementById(id);
const ROLES = new Set(["coordinator", "charge-nurse", "auditor", "admin"]);

function lastMonth(now = new Date()) {
  const month = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${month.getFullYear()}-${String(month.getMonth() + 1).padStart(2, "0")}`;
}

export function offerMeasures(token, facility, role) {
  const form = $("measures-form");
  form.hidden = !ROLES.has(role);
  if (form.hidden) return;
  if (!$("measures-month").value) $("measures-month").value = lastMonth();
  form.onsubmit = async (event) => {
    event.preventDefault();
    const month = $("measures-month").value, format = $("measures-format").value;
    const query = new URLSearchParams({ facility, month, format });
    $("measures-status").textContent = "Preparing…";
    $("measures-status").textContent = await downloadWithToken(`/reports/measures?${query}`, token, `measures-${month}.${format}`);
  };
}
