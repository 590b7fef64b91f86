// Report downloads (CSV or Excel): the schedule of a span of days, and the
// no-show, cancellation and lead-time statistics. Fetched with the user's own
// token (a plain link could not carry it) and saved under the server's name.

import { downloadWithToken } from "./download.js";
import { addDays } from "./scheduler_api.js";

const $ = (id) => document.getElementById(id);

export class Reports {
  constructor(desk) {
    this.desk = desk;
    $("report-from").value = desk.clock.today();
    $("report-to").value = addDays(desk.clock.today(), 6);
    $("report-kind").addEventListener("change", () => { $("report-period-label").hidden = $("report-kind").value !== "stats"; });
    $("report-form").addEventListener("submit", (event) => { event.preventDefault(); this.download(); });
  }

  async download() {
    const kind = $("report-kind").value, format = $("report-format").value;
    const query = new URLSearchParams({ from: $("report-from").value, to: $("report-to").value, format });
    if (kind === "stats") query.set("period", $("report-period").value);
    const { api } = this.desk;
    $("report-status").textContent = "Preparing…";
    $("report-status").textContent = await downloadWithToken(`${api.base}/reports/${kind}?${query}`, api.token, `${kind}.${format}`);
  }
}
