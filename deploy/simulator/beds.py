"""What the simulated charge nurse and housekeeping do with beds: clean
them after a patient leaves, block and unblock them, and keep the
simulator's picture of every bed in step with the API's.

Mixed into `deploy.simulator.department.Simulator`. The API is the truth: when a
command about a bed is refused, the bed is read back and the simulator
carries on from what it really is.
"""

from __future__ import annotations

from deploy.simulator.patients import lognormal
from deploy.simulator.state import BedState, Department

BLOCK_REASONS = ("equipment repair", "isolation clean", "no nurse to staff it", "plumbing leak")


class SimulationError(RuntimeError):
    """The simulation cannot start or go on (no API, facility not loaded, token refused)."""


class BedActions(Department):
    def bed_left(self, bed_id: str) -> None:
        """A patient left this bed: it is dirty until housekeeping has cleaned it."""
        bed = self.beds.get(bed_id)
        if bed is not None:
            bed.status = "dirty"
            self.after(lognormal(self.ops_rng, 12, 0.6, 2, 90), self._start_cleaning, bed)

    def _start_cleaning(self, bed: BedState) -> None:
        if bed.status != "dirty":
            return
        if self.command("charge-nurse", f"/beds/{bed.bed_id}/cleaning-started").ok:
            bed.status = "cleaning"
            self.after(lognormal(self.ops_rng, 25, 0.4, 10, 120), self._finish_cleaning, bed)
        else:
            self.resync_bed(bed)

    def _finish_cleaning(self, bed: BedState) -> None:
        if bed.status != "cleaning":
            return
        if self.command("charge-nurse", f"/beds/{bed.bed_id}/cleaned").ok:
            bed.status = "available"
            self.fill_beds()
        else:
            self.resync_bed(bed)

    def start_operations(self) -> None:
        self.after(self.ops_rng.expovariate(1 / (12 * 60)), self._block_a_bed)

    def _block_a_bed(self) -> None:
        self.after(self.ops_rng.expovariate(1 / (12 * 60)), self._block_a_bed)
        free = sorted(
            (b for b in self.beds.values() if b.status == "available" and b.bed_type != "observation"),
            key=lambda b: b.bed_id,
        )
        if not free:
            return
        bed = self.ops_rng.choice(free)
        if self.command("charge-nurse", f"/beds/{bed.bed_id}/block", {"reason": self.ops_rng.choice(BLOCK_REASONS)}).ok:
            bed.status = "blocked"
            self.after(lognormal(self.ops_rng, 90, 0.5, 20, 600), self._unblock, bed)
        else:
            self.resync_bed(bed)

    def _unblock(self, bed: BedState) -> None:
        if bed.status == "blocked" and self.command("charge-nurse", f"/beds/{bed.bed_id}/unblock").ok:
            bed.status = "available"
            self.fill_beds()
        else:
            self.resync_bed(bed)

    def learn_bed(self, bed: BedState, status: str | None) -> None:
        if status is None:
            self.resync_bed(bed)
            return
        bed.status = status
        if status == "dirty":
            self.after(self.ops_rng.uniform(1, 10), self._start_cleaning, bed)
        elif status == "cleaning":
            self.after(self.ops_rng.uniform(5, 25), self._finish_cleaning, bed)
        elif status == "blocked":
            self.after(self.ops_rng.uniform(30, 120), self._unblock, bed)

    def resync_bed(self, bed: BedState) -> None:
        """Someone else changed this bed (a nurse on the board): read it back."""
        reply = self.client.get("charge-nurse", f"/beds/{bed.bed_id}")
        if reply.ok:
            self.learn_bed(bed, reply.body.get("status"))

    # --- taking over a department that is already running ---------------------

    def take_over_beds(self) -> None:
        """Learn every bed's state; finish the stays of patients already in beds."""
        for bed in self.beds.values():
            reply = self.client.get("charge-nurse", f"/beds/{bed.bed_id}")
            if reply.status == 404:
                raise SimulationError(
                    f"bed {bed.bed_id} is not registered in facility {self.facility.id}: "
                    "run `edflow facility load` first"
                )
            if reply.status in (401, 403):
                raise SimulationError(
                    f"the API refused the simulator's token ({reply.status} {reply.error_code}): "
                    "does the server share EDFLOW_DATA_DIR or EDFLOW_JWT_SECRET with this command?"
                )
            if not reply.ok:
                raise SimulationError(f"reading bed {bed.bed_id} failed with HTTP {reply.status}")
            if reply.body.get("status") == "occupied" and reply.body.get("encounter_id"):
                bed.status = "occupied"
                self._finish_inherited_stay(reply.body["encounter_id"], bed.bed_id)
            else:
                self.learn_bed(bed, reply.body.get("status"))
