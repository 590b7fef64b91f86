"""The dashboard's per-facility board, by property: whatever the board stream
does (deltas, periodic snapshots, lost and repeated messages), a client that
follows the frames holds exactly the server's board, the server's board is
the true one whenever it is not stale, and a resume never drifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.facility_board import FacilityBoard, Told
from dashboard.protocol import Delta, Snapshot, decode_frame
from events.board import CHANGE_TYPES, BedChange, BedStatus, BoardMessage, BoardValue, EntityChange
from tests.dashboard.conftest import bed

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BEDS = [f"A{n}" for n in range(1, 5)]
STATUSES: list[BedStatus | None] = ["available", "occupied", "dirty", "cleaning", "blocked", None]

change = st.builds(
    lambda bed_id, status: BedChange(id=bed_id, value=None) if status is None else bed(bed_id, status),
    st.sampled_from(BEDS),
    st.sampled_from(STATUSES),
)
step: st.SearchStrategy[tuple[str, list[BedChange]]] = st.one_of(
    st.tuples(st.just("delta"), st.lists(change, max_size=3)),
    st.tuples(st.just("snapshot"), st.just([])),
    st.tuples(st.just("lose"), st.lists(change, min_size=1, max_size=2)),  # published, never received
    st.tuples(st.just("repeat"), st.just([])),  # the last message again
    st.tuples(st.just("same-seq snapshot"), st.just([])),  # a snapshot numbered like the last delta
)


class Client:
    """What the page does with frames."""

    def __init__(self):
        self.entities: dict[tuple[str, str], BoardValue | None] = {}
        self.seq: int | None = None

    def apply_snapshot(self, raw: bytes) -> None:
        frame = decode_frame(raw)
        assert isinstance(frame, Snapshot)
        self.entities = {(c.kind, c.id): c.value for c in frame.changes}
        self.seq = frame.seq

    def apply_delta(self, raw: bytes) -> None:
        frame = decode_frame(raw)
        assert isinstance(frame, Delta)
        assert self.seq is not None and frame.seq == self.seq + 1, "a delta that does not follow reached a client"
        for c in frame.changes:
            if c.value is None:
                self.entities.pop((c.kind, c.id), None)
            else:
                self.entities[(c.kind, c.id)] = c.value
        self.seq = frame.seq


def values(entities) -> dict:
    return {key: (c.value if isinstance(c, EntityChange) else c) for key, c in entities.items()}


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=40))
def test_a_client_following_the_frames_always_holds_the_servers_board(steps):
    board, client = FacilityBoard("demo", recent_deltas=8), Client()
    truth: dict[tuple[str, str], BoardValue] = {}
    seq, last = 0, None
    served: dict[tuple[str, int], dict[tuple[str, str], BoardValue]] = {}
    for offset, (kind, changes) in enumerate(steps):
        if kind == "repeat":
            if last is None:
                continue
            message = last
        else:
            for c in changes:
                if c.value is None:
                    truth.pop((c.kind, c.id), None)
                else:
                    truth[(c.kind, c.id)] = c.value
            seq += kind != "same-seq snapshot"
            whole = kind.endswith("snapshot")
            message_changes = [CHANGE_TYPES[k[0]](id=k[1], value=v) for k, v in truth.items()] if whole else changes
            message = BoardMessage(
                facility_id="demo",
                seq=seq,
                type="snapshot" if whole else "delta",
                as_of=T0 + timedelta(minutes=seq),
                changes=message_changes,
            )
            last = message
            if kind == "lose":
                continue
        told = board.apply(message, f"0:{offset}", T0)
        if told is Told.SNAPSHOT:
            client.apply_snapshot(board.snapshot(None))
        elif told is Told.DELTA:
            client.apply_delta(board.recent[-1].encoded(None))
        if board.usable and board.stale_since is None:
            assert values(board.entities) == truth
            assert client.entities == truth and client.seq == board.seq
            assert board.seq is not None
            served[(board.epoch, board.seq)] = dict(truth)
    for (epoch, at), state in served.items():
        missing = board.deltas_after(at, epoch)
        if missing is None:
            continue
        resumed = dict(state)
        for frame in missing:
            for c in frame.changes:
                if c.value is None:
                    resumed.pop((c.kind, c.id), None)
                else:
                    resumed[(c.kind, c.id)] = c.value
        assert resumed == values(board.entities), f"resume from {at} drifted"


def snapshot_frame(board: FacilityBoard) -> Snapshot:
    frame = decode_frame(board.snapshot(None))
    assert isinstance(frame, Snapshot)
    return frame


def test_snapshot_frames_carry_the_facilitys_time_zone_and_a_message_without_one_keeps_it():
    board = FacilityBoard("demo")
    board.apply(
        BoardMessage(facility_id="demo", seq=1, type="snapshot", as_of=T0, changes=[], time_zone="America/Chicago"),
        "0:1",
        T0,
    )
    assert snapshot_frame(board).time_zone == "America/Chicago"
    board.apply(
        BoardMessage(facility_id="demo", seq=2, type="delta", as_of=T0, changes=[bed("A1", "dirty")]), "0:2", T0
    )
    assert snapshot_frame(board).time_zone == "America/Chicago"
    board.apply(
        BoardMessage(facility_id="demo", seq=3, type="delta", as_of=T0, changes=[], time_zone="Europe/Berlin"),
        "0:3",
        T0,
    )  # the facility file was corrected
    assert snapshot_frame(board).time_zone == "Europe/Berlin"
