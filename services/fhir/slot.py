"""A provider's booked time as FHIR R4 Slots (status busy), one per reserved
interval of one UTC day, from the provider's calendar day."""

from __future__ import annotations

import uuid
from datetime import date

from fhir.resources.R4B.slot import Slot

from services.access.calendars import ProviderDay
from services.access.ids import provider_day_id
from services.fhir.history import instant

SLOT_NAMESPACE = uuid.UUID("3d1c0f0e-8a4e-4a57-9d0b-5c2f6a1e7b44")


def busy_slots(hospital, facility_id: str, provider_id: str, day: date) -> list[dict]:
    calendar = hospital.find(ProviderDay, provider_day_id(facility_id, provider_id, day.isoformat()))
    if calendar is None or calendar.facility_id != facility_id:
        return []
    slots = []
    for appointment_id, (start, end) in sorted(calendar.reserved.items(), key=lambda item: item[1]):
        resource = {
            "resourceType": "Slot",
            "id": str(uuid.uuid5(SLOT_NAMESPACE, f"{facility_id}:{provider_id}:{appointment_id}:{start.isoformat()}")),
            "schedule": {"reference": f"Schedule/{provider_id}", "display": provider_id},
            "status": "busy",
            "start": instant(start),
            "end": instant(end),
            "comment": f"Appointment/{appointment_id}",
        }
        slots.append(Slot.model_validate(resource).model_dump(mode="json", exclude_none=True))
    return slots
