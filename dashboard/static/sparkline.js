// Census and waiting over the last 24 hours: the server's history at connect,
// then one point per capacity change.

import { h, replace, svg } from "./dom.js";

const SPAN_MS = 24 * 3600 * 1000;

export class History {
  constructor() { this.points = []; }  // [atMs, census, waiting]

  load(points) {
    this.points = points.map((p) => [Date.parse(p.at), p.census, p.waiting]);
  }

  add(atIso, capacity) {
    if (!atIso || !capacity) return;
    const at = Date.parse(atIso);
    while (this.points.length && this.points[this.points.length - 1][0] > at) this.points.pop();
    const last = this.points[this.points.length - 1];
    if (last && at - last[0] < 60000) { last[1] = capacity.census; last[2] = capacity.waiting; return; }
    this.points.push([at, capacity.census, capacity.waiting]);
    while (this.points.length && at - this.points[0][0] > SPAN_MS) this.points.shift();
  }
}

export function drawSparkline(container, points, column, label) {
  const width = 220, height = 48, pad = 3;
  if (points.length < 2) {
    replace(container, h("span", { class: "muted" }, "collecting…"));
    return;
  }
  const t0 = points[0][0], t1 = points[points.length - 1][0] || t0 + 1;
  const max = Math.max(1, ...points.map((p) => p[column]));
  const x = (t) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad);
  const y = (v) => height - pad - (v / max) * (height - 2 * pad);
  // A step line: each value holds until the next change.
  let d = `M${x(points[0][0]).toFixed(1)},${y(points[0][column]).toFixed(1)}`;
  for (let i = 1; i < points.length; i++) {
    d += ` H${x(points[i][0]).toFixed(1)} V${y(points[i][column]).toFixed(1)}`;
  }
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
                             "aria-label": `${label}: now ${points[points.length - 1][column]}, peak ${max} in 24 h` });
  chart.append(svg("path", { d, class: "spark-line" }));
  const now = points[points.length - 1];
  chart.append(svg("circle", { cx: x(now[0]), cy: y(now[column]), r: 2.5, class: "spark-dot" }));
  replace(container, chart, h("span", { class: "spark-now" }, `${now[column]} now · peak ${max}`));
}
