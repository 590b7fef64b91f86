// Charge-nurse commands through the command API, with the user's own token
// and an Idempotency-Key per intent. The page never changes on a reply:
// only the board delta that follows changes it.

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class Commands {
  constructor(token, facility, toast) {
    Object.assign(this, { token, facility, toast });
  }

  async post(path, body, what) {
    const url = `/api/v1/facilities/${encodeURIComponent(this.facility)}${path}`;
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Authorization": `Bearer ${this.token}`, "Content-Type": "application/json", "Idempotency-Key": newKey() },
        body: JSON.stringify(body || {}),
      });
    } catch (error) {
      this.toast(`${what}: the server could not be reached. Nothing was changed; try again.`, "error");
      return false;
    }
    if (response.ok) {
      this.toast(`${what}: sent`, "ok");
      return true;
    }
    let message = `${response.status} ${response.statusText}`;
    try {
      const error = (await response.json()).error;
      const fields = error && (error.fields || (error.details && error.details.fields));
      if (error) message = error.message + (fields ? ": " + fields.map((f) => `${f.field} ${f.message}`).join("; ") : "");
    } catch (_) { /* not our error shape: keep the status line */ }
    const kind = response.status === 409 ? "conflict" : "error";
    this.toast(`${what} not done: ${message}`, kind);
    return false;
  }

  assignBed(encounterId, bedId) {
    return this.post(`/encounters/${encodeURIComponent(encounterId)}/bed`, { bed_id: bedId }, `Bed ${bedId}`);
  }
  triage(encounterId, esi) {
    return this.post(`/encounters/${encodeURIComponent(encounterId)}/triage`, { esi }, `Triage ESI ${esi}`);
  }
  assignProvider(encounterId, providerId) {
    return this.post(`/encounters/${encodeURIComponent(encounterId)}/provider`, { provider_id: providerId }, `Provider ${providerId}`);
  }
  assignNurse(encounterId, nurseId) {
    return this.post(`/encounters/${encodeURIComponent(encounterId)}/nurse`, { nurse_id: nurseId }, `Nurse ${nurseId}`);
  }
  release(bedId) { return this.post(`/beds/${encodeURIComponent(bedId)}/release`, {}, `Release ${bedId}`); }
  startCleaning(bedId) { return this.post(`/beds/${encodeURIComponent(bedId)}/cleaning-started`, {}, `Cleaning ${bedId}`); }
  cleaned(bedId) { return this.post(`/beds/${encodeURIComponent(bedId)}/cleaned`, {}, `Cleaned ${bedId}`); }
  block(bedId, reason) { return this.post(`/beds/${encodeURIComponent(bedId)}/block`, { reason }, `Block ${bedId}`); }
  assignInpatient(encounterId, unit, bedId) {
    return this.post(`/encounters/${encodeURIComponent(encounterId)}/bed-request/assignment`, { unit, bed_id: bedId }, `Inpatient bed ${bedId}`);
  }
  inpatientReady(encounterId) {
    return this.post(`/encounters/${encodeURIComponent(encounterId)}/bed-request/ready`, {}, "Bed ready");
  }
  unblock(bedId) { return this.post(`/beds/${encodeURIComponent(bedId)}/unblock`, {}, `Unblock ${bedId}`); }
}
