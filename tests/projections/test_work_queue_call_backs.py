"""The work queue's call-backs (projections.work_queue): a contact that asks
for a call-back puts the patient in the queue; a later contact that does it,
or a cancellation, takes them out. Pure reducer, events built by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from events.catalogue import CallBackCancelled, Fact, PatientContacted, Person
from events.envelope import Actor, Envelope, event_id_for
from events.published import published_fact
from events.work_queue import QueueCallBack
from projections.work_queue import fold_into
from services.access.work_queue_view import view

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATIENT = Person(mrn="MRN-1", given_name="Ana", family_name="Diaz", sex="F")


class Log:
    """Contact logs of one facility, one per patient, as envelopes."""

    def __init__(self) -> None:
        self.position = 0
        self.versions: dict[uuid.UUID, int] = {}
        self.envelopes: list[Envelope] = []

    def record(self, log_id: uuid.UUID, fact: Fact, minute: int = 0) -> Envelope:
        self.position += 1
        self.versions[log_id] = version = self.versions.get(log_id, 0) + 1
        at = T0 + timedelta(minutes=minute)
        envelope = Envelope(
            event_id=event_id_for(log_id, version),
            type=type(fact).__name__,
            schema_version=1,
            facility_id="fac-1",
            aggregate_type="ContactLog",
            aggregate_id=log_id,
            aggregate_version=version,
            position=self.position,
            occurred_at=at,
            recorded_at=at,
            actor=Actor(id="desk-sam", role="scheduler"),
            correlation_id=None,
            data=published_fact(fact, at),  # what the queue reads is the published form
        )
        self.envelopes.append(envelope)
        return envelope


def contacted(contact_id: str, call_back_in: int | None = None, of: str | None = None) -> PatientContacted:
    return PatientContacted(
        contact_id=contact_id,
        patient=PATIENT,
        channel="phone",
        direction="outbound",
        reason="results",
        outcome="no-answer",
        note="left word with the daughter",
        call_back_at=None if call_back_in is None else T0 + timedelta(hours=call_back_in),
        call_back_of=of,
    )


def call_backs(table) -> dict[str, QueueCallBack]:
    return {e.contact_id: e for e in table.values() if isinstance(e, QueueCallBack)}


def test_a_call_back_is_queued_with_initials_and_no_note_or_mrn():
    log, patient = Log(), uuid.uuid4()
    log.record(patient, contacted("c1", call_back_in=2))
    (entry,) = call_backs(fold_into({}, log.envelopes)).values()
    assert (entry.initials, entry.channel, entry.reason) == ("AD", "phone", "results")
    assert entry.due == T0 + timedelta(hours=2) and entry.log_id == str(patient)
    assert "MRN-1" not in repr(entry) and "daughter" not in repr(entry)


def test_a_contact_without_a_call_back_queues_nothing():
    log = Log()
    log.record(uuid.uuid4(), contacted("c1"))
    assert call_backs(fold_into({}, log.envelopes)) == {}


def test_a_later_contact_that_does_the_call_back_takes_it_out_and_may_ask_for_another():
    log, patient = Log(), uuid.uuid4()
    log.record(patient, contacted("c1", call_back_in=2))
    log.record(patient, contacted("c2", of="c1"), minute=120)
    assert call_backs(fold_into({}, log.envelopes)) == {}
    log.record(patient, contacted("c3", call_back_in=26, of="c2"), minute=130)
    assert set(call_backs(fold_into({}, log.envelopes))) == {"c3"}


def test_a_cancelled_call_back_leaves_the_queue():
    log, patient = Log(), uuid.uuid4()
    log.record(patient, contacted("c1", call_back_in=2))
    log.record(patient, CallBackCancelled(contact_id="c1", reason="patient came in"), minute=5)
    assert call_backs(fold_into({}, log.envelopes)) == {}


def test_a_repeated_event_changes_nothing():
    log, patient = Log(), uuid.uuid4()
    first = log.record(patient, contacted("c1", call_back_in=2))
    log.record(patient, CallBackCancelled(contact_id="c1", reason="not needed"), minute=5)
    assert call_backs(fold_into({}, [*log.envelopes, first])) == {}


def test_the_view_lists_call_backs_by_due_time_and_says_which_are_overdue():
    log = Log()
    log.record(uuid.uuid4(), contacted("late", call_back_in=5))
    log.record(uuid.uuid4(), contacted("soon", call_back_in=1))
    queue = view(fold_into({}, log.envelopes).values(), T0 + timedelta(hours=2))
    assert [(c["contact_id"], c["overdue"]) for c in queue["call_backs_due"]] == [("soon", True), ("late", False)]


# --- property -----------------------------------------------------------------

Op = tuple[str, int, int, bool]  # (log | done | cancel, patient, which earlier contact, asks for a call-back)
ops = st.lists(
    st.tuples(st.sampled_from(["log", "done", "cancel"]), st.integers(0, 2), st.integers(0, 30), st.booleans()),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_a_call_back_is_in_the_queue_iff_it_was_asked_for_and_not_done_or_cancelled(history: list[Op]):
    """Random histories the write model accepts (done and cancel only name an
    open call-back of the same patient), folded in order."""
    log, patients = Log(), [uuid.uuid4() for _ in range(3)]
    asked: dict[str, int] = {}  # contact -> patient, for contacts that asked for a call-back
    closed: set[str] = set()
    for n, (kind, patient, pick, wants_call_back) in enumerate(history):
        open_ones = [c for c, p in asked.items() if p == patient and c not in closed]
        target = open_ones[pick % len(open_ones)] if open_ones else None
        contact_id = f"c{n}"
        if kind == "cancel":
            if target is None:
                continue
            log.record(patients[patient], CallBackCancelled(contact_id=target, reason="no longer needed"), n)
            closed.add(target)
            continue
        of = target if kind == "done" else None
        log.record(patients[patient], contacted(contact_id, 1 if wants_call_back else None, of), n)
        if of is not None:
            closed.add(of)
        if wants_call_back:
            asked[contact_id] = patient
    queued = call_backs(fold_into({}, log.envelopes))
    assert set(queued) == {c for c in asked if c not in closed}
    assert all(queued[c].log_id == str(patients[p]) for c, p in asked.items() if c in queued)
