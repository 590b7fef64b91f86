"""Given schedules, blocks and holidays, when booking or asking for slots,
then working time is respected and slots follow FHIR Slot statuses."""

from __future__ import annotations

from datetime import date, time

import pytest

from services.errors import Invalid, NotFound, OutsideWorkingHours, TimeBlockedError
from tests.services.access.conftest import at


def test_booking_outside_working_hours_is_refused(desk):
    desk.define()
    with pytest.raises(OutsideWorkingHours, match="does not work"):
        desk.book(at(0, 8, 30))
    with pytest.raises(OutsideWorkingHours):
        desk.book(at(0, 16, 45))  # runs past 17:00
    with pytest.raises(OutsideWorkingHours):
        desk.book(at(5, 10))  # Saturday


def test_booking_in_blocked_time_is_refused_until_unblocked(desk):
    desk.define()
    desk.app.block_time(desk.meta(), "provider", "dr-1", at(0, 12), at(0, 13), "team meeting", block_id="lunch")
    with pytest.raises(TimeBlockedError, match="team meeting"):
        desk.book(at(0, 12, 30))
    desk.app.unblock_time(desk.meta(), "provider", "dr-1", "lunch")
    desk.book(at(0, 12, 30))


def test_booking_on_a_holiday_is_refused(desk):
    desk.define()
    desk.app.declare_holiday(desk.meta(), "provider", "dr-1", date(2026, 3, 4), "staff day")
    with pytest.raises(OutsideWorkingHours, match="holiday"):
        desk.book(at(2, 10))


def test_a_department_schedule_also_bounds_bookings(desk):
    desk.define(kind="department", resource="cardiology", hours=[(0, time(10), time(12))])
    desk.book(at(0, 10))
    with pytest.raises(OutsideWorkingHours):
        desk.book(at(0, 14), provider="dr-2")


def test_slots_follow_working_hours_slot_length_blocks_bookings_and_holidays(desk):
    desk.define(hours=[(0, time(9), time(11)), (1, time(9), time(10))], **{"outpatient-visit": 30})
    desk.app.block_time(desk.meta(), "provider", "dr-1", at(0, 10), at(0, 10, 30), "rounds")
    desk.app.declare_holiday(desk.meta(), "provider", "dr-1", date(2026, 3, 3), "closed")
    desk.book(at(0, 9, 30))
    slots = desk.app.availability("fac-1", "provider", "dr-1", date(2026, 3, 2), date(2026, 3, 3), "outpatient-visit")
    assert [(s.start.strftime("%a %H:%M"), s.status) for s in slots] == [
        ("Mon 09:00", "free"),
        ("Mon 09:30", "busy"),
        ("Mon 10:00", "busy-unavailable"),
        ("Mon 10:30", "free"),
    ]


def test_slot_length_depends_on_appointment_type(desk):
    desk.define(hours=[(0, time(9), time(11))], **{"outpatient-procedure": 60})
    procedure = desk.app.availability(
        "fac-1", "provider", "dr-1", date(2026, 3, 2), date(2026, 3, 2), "outpatient-procedure"
    )
    visit = desk.app.availability("fac-1", "provider", "dr-1", date(2026, 3, 2), date(2026, 3, 2), "outpatient-visit")
    assert len(procedure) == 2 and len(visit) == 4  # visits default to 30 minutes


def test_slots_in_a_local_time_zone_follow_its_clock(desk):
    desk.app.define_schedule(desk.meta(), "provider", "dr-1", "cardiology", "America/Chicago", [(0, time(9), time(10))])
    slots = desk.app.availability("fac-1", "provider", "dr-1", date(2026, 3, 2), date(2026, 3, 2), "outpatient-visit")
    assert [s.start.isoformat() for s in slots] == ["2026-03-02T15:00:00+00:00", "2026-03-02T15:30:00+00:00"]


def test_availability_needs_a_schedule_and_a_sane_range(desk):
    with pytest.raises(NotFound):
        desk.app.availability("fac-1", "provider", "dr-9", date(2026, 3, 2), date(2026, 3, 2), "outpatient-visit")
    desk.define()
    with pytest.raises(Invalid):
        desk.app.availability("fac-1", "provider", "dr-1", date(2026, 3, 5), date(2026, 3, 2), "outpatient-visit")


def test_unknown_time_zone_and_inverted_hours_are_invalid_and_record_nothing(desk):
    with pytest.raises(Invalid, match="time zone"):
        desk.app.define_schedule(desk.meta(), "provider", "dr-1", "cardiology", "Mars/Base", [(0, time(9), time(17))])
    with pytest.raises(Invalid, match="end after"):
        desk.define(hours=[(0, time(17), time(9))])
    assert desk.app.resource_schedule("fac-1", "provider", "dr-1") is None
