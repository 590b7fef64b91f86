"""A day and a half of one ED and its clinics, and the board bytes it produces.

`scenario_envelopes` plays a seeded story: every kind of ED fact, corrections,
midnights, and appointments moving through their day. `board_bytes` folds
envelopes the way the projection worker does (numbered deltas, a snapshot
every `SNAPSHOT_EVERY`) and the dashboard serves them (snapshot and delta
frames for the whole board, one unit and one role's kinds, and the hallway
view), each encoded as it goes on the wire. The recorded output under
fixtures/ pins those bytes: the board protocol must not drift.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dashboard.facility_board import FacilityBoard, Told
from dashboard.hallway import hallway_view
from events.board import encode_board
from events.catalogue import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentNoShow,
    AppointmentRescheduled,
    Coverage,
    InsuranceVerificationFailed,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
    Person,
)
from events.envelope import Envelope, decode, encode
from projections import board_stream as bs
from projections.fold import board_snapshot, keys_for, step, stream_of
from projections.profile import FacilityProfile
from tests.projections.stories import WEIGHTED_MOVES, Story

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ENVELOPES = FIXTURES / "board_scenario_envelopes.jsonl"
BOARD = FIXTURES / "board_scenario_board.jsonl.gz"  # 1.3 MB as text
PROFILE = FacilityProfile(timezone="America/Chicago", inpatient_beds=120, ventilated=2)
SNAPSHOT_EVERY = 40
VIEWS: tuple[tuple[str | None, frozenset[str] | None], ...] = (
    (None, None),
    ("acute-a", None),
    (None, frozenset({"appointment", "schedule"})),
)
HALLWAY_KEY = b"site-key"


def scenario_envelopes(moves: int = 200, seed: int = 2026) -> list[Envelope]:
    rng = random.Random(seed)
    story = Story()
    for bed in ("A1", "A2", "A3", "A4"):
        story.register_bed(bed)
    story.register_bed("R1", unit="resus")
    appointments: list[uuid.UUID] = []
    for n in range(moves):
        if n % 9 == 4:
            _appointment_move(story, rng, appointments)
            continue
        # Busier than the default draw: the floor stays full across midnight.
        move = rng.choice(WEIGHTED_MOVES + ("arrive",) * 6 + ("triage", "provider", "assign_bed") * 2)
        story.play(move, rng.randrange(1000), rng.randint(1, 5), rng.randrange(0, 25))
    return story.envelopes


def _appointment_move(story: Story, rng: random.Random, appointments: list[uuid.UUID]) -> None:
    if not appointments or rng.random() < 0.4:
        appointment = uuid.uuid5(uuid.NAMESPACE_URL, f"appointment:{len(appointments)}")
        appointments.append(appointment)
        start = datetime(2026, 3, 2 + rng.randrange(3), 14 + rng.randrange(6), 15 * rng.randrange(4), tzinfo=UTC)
        story.record(
            appointment,
            AppointmentBooked(
                patient=Person(given_name=rng.choice(["Li", "Sam", ""]), family_name="Wu"),
                provider_id="ortho-sato",
                department=rng.choice(["orthopedics", "cardiology"]),
                appointment_type="outpatient-procedure",
                start=start,
                end=start + timedelta(minutes=30),
            ),
            "Appointment",
        )
        return
    appointment = rng.choice(appointments)
    start = datetime(2026, 3, 3 + rng.randrange(3), 15, 0, tzinfo=UTC)
    fact = rng.choice(
        [
            PatientCheckedIn(),
            AppointmentNoShow(),
            AppointmentCompleted(),
            AppointmentCancelled(reason="patient called"),
            InsuranceVerificationRequested(coverage=Coverage(payer="Acme", member_id="M1")),
            InsuranceVerified(),
            InsuranceVerificationFailed(reason="no coverage"),
            AppointmentRescheduled(
                provider_id="ortho-kim",
                start=start,
                end=start + timedelta(minutes=45),
                previous_provider_id="ortho-sato",
                previous_start=start - timedelta(days=1),
                previous_end=start - timedelta(days=1, minutes=-30),
            ),
        ]
    )
    story.record(appointment, fact, "Appointment")


def board_bytes(envelopes: list[Envelope]) -> list[bytes]:
    """Every board message and dashboard frame the envelopes produce, in order."""
    table: dict = {}
    cursor = bs.BoardCursor(facility_id=envelopes[0].facility_id, partition=0)
    board = FacilityBoard(cursor.facility_id)
    out: list[bytes] = []
    for n, envelope in enumerate(envelopes):
        result = step({k: table.get(k) for k in keys_for(envelope, PROFILE)}, envelope, PROFILE)
        for key, entry in result.changes.items():
            if entry is None:
                table.pop(key, None)
            else:
                table[key] = entry
        cursor = bs.advance(cursor, envelope, stream_of(envelope), {}, publishes=bool(result.board))
        if not result.board:
            continue
        if bs.snapshot_due(cursor.seq, SNAPSHOT_EVERY):
            message = bs.snapshot(cursor, board_snapshot(table.items(), PROFILE), PROFILE.timezone)
        else:
            message = bs.delta(cursor, result.board, PROFILE.timezone)
        out.append(encode_board(message))
        told = board.apply(message, f"0:{n}", envelope.occurred_at)
        out.append(told.value.encode())
        if told is Told.DELTA:
            out.extend(board.recent[-1].encoded(unit, kinds) for unit, kinds in VIEWS)
        if told is Told.SNAPSHOT or message.type == "snapshot":
            out.extend(board.snapshot(unit, kinds) for unit, kinds in VIEWS)
    out.extend(board.snapshot(unit, kinds) for unit, kinds in VIEWS)
    stays = hallway_view(HALLWAY_KEY, list(board.entities.values()), board.as_of)
    out.append(json.dumps(stays).encode())
    return out


def write_fixtures() -> None:
    """Record today's bytes (run only when the board protocol changes on purpose)."""
    envelopes = scenario_envelopes()
    FIXTURES.mkdir(exist_ok=True)
    ENVELOPES.write_bytes(b"".join(encode(e) + b"\n" for e in envelopes))
    BOARD.write_bytes(gzip.compress(b"".join(line + b"\n" for line in board_bytes(envelopes)), mtime=0))


def recorded_envelopes() -> list[Envelope]:
    return [decode(line) for line in ENVELOPES.read_bytes().splitlines()]


def recorded_board() -> list[bytes]:
    return gzip.decompress(BOARD.read_bytes()).splitlines()


if __name__ == "__main__":
    write_fixtures()
