// Capacity figures that depend on time, evaluated at the screen's own clock:
// the board carries when each boarder's admission was decided and NEDOCS's
// inputs, so longest boarding and the score move on while no event arrives.
// The formula is projections/capacity.py's (NEDOCS, Weiss 2004, common form).

import { byKind } from "./panels.js";

const NEDOCS_BANDS = [[20, "not busy"], [60, "busy"], [100, "extremely busy"], [140, "overcrowded"],
  [180, "severely overcrowded"], [200, "dangerously overcrowded"]];

export function capacityAt(cap, entities, nowMs) {
  if (!cap) return cap;
  const boarding = byKind(entities, "encounter").filter(([, e]) => e.status === "boarding" && e.admit_decided_at);
  if (!boarding.length || boarding.length !== cap.boarders) return cap;  // a partial view: keep the published figures
  const longest = Math.max(cap.longest_boarding_minutes || 0,
    ...boarding.map(([, e]) => Math.max(0, (nowMs - Date.parse(e.admit_decided_at)) / 60000)));
  const minutes = Math.round(longest * 10) / 10;
  const n = cap.nedocs || {};
  const inputs = n.inputs ? { ...n.inputs, longest_boarding_hours: Math.round((longest / 60) * 1000) / 1000 } : null;
  return { ...cap, longest_boarding_minutes: minutes, nedocs: inputs ? { ...n, ...nedocs(inputs, longest / 60), inputs } : n };
}

function nedocs(i, longestHours) {
  if (i.ed_beds <= 0 || i.inpatient_beds <= 0) return {};
  const raw = -20 + 85.8 * (i.ed_patients / i.ed_beds) + 600 * (i.admitted_boarders / i.inpatient_beds)
    + 13.4 * i.ventilated + 0.93 * longestHours + 5.64 * i.last_bedded_wait_hours;
  const score = Math.round(Math.min(200, Math.max(0, raw)));
  return { score, band: NEDOCS_BANDS.find(([upper]) => score <= upper)[1] };
}
