"""Request bodies of the scheduling routes (schedules, waitlist, preparation)."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AwareDatetime, ConfigDict, Field, JsonValue, model_validator

from events.catalogue import AppointmentType, ChecklistItem
from services.api.schemas import (
    INTEGER_LITERAL,
    Body,
    Code,
    CommandBody,
    ContactIn,
    Key,
    Name,
    Patient,
    Text,
    one_of_set,
)

Minutes = Annotated[int, Field(strict=True, ge=5, le=24 * 60, description=INTEGER_LITERAL)]


class HoursIn(Body):
    weekday: Annotated[int, Field(strict=True, ge=0, le=6, description=f"0 = Monday … 6 = Sunday; {INTEGER_LITERAL}")]
    start: time
    end: time = Field(description="after start, else 422")

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class DefineSchedule(CommandBody):
    department: Code
    time_zone: Name = Field(
        description="IANA zone, e.g. America/Chicago",
        json_schema_extra={"enum": list[JsonValue](sorted(available_timezones()))},
    )
    hours: Annotated[list[HoursIn], Field(max_length=50)]
    slot_lengths: dict[AppointmentType, Minutes] = {}


class BlockTime(CommandBody):
    start: AwareDatetime
    end: AwareDatetime = Field(description="after start, else 422")
    reason: Text
    block_id: Key | None = None

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class DeclareHoliday(CommandBody):
    day: date
    name: Name


class JoinWaitlist(CommandBody):
    entry_id: Key | None = None
    patient: Patient
    department: Code
    appointment_type: AppointmentType
    duration_minutes: Minutes
    provider_id: Code | None = None
    before: AwareDatetime | None = Field(default=None, description="only slots starting before this")
    appointment_id: Key | None = Field(default=None, description="the appointment to move earlier, if any")
    contact: ContactIn | None = None


class AcceptOffer(CommandBody):
    appointment_id: Key | None = Field(default=None, description="id for the new appointment, if none is being moved")


class Modify(CommandBody):
    model_config = ConfigDict(json_schema_extra=one_of_set("reason", "appointment_type", "room_id"))

    reason: Text | None = None
    appointment_type: AppointmentType | None = None
    room_id: Code | None = None

    @model_validator(mode="after")
    def _something_to_change(self):
        if self.reason is None and self.appointment_type is None and self.room_id is None:
            raise ValueError("send at least one of reason, appointment_type, room_id")
        return self


class ChecklistDone(CommandBody):
    item: ChecklistItem
    note: Text | None = None
