"""A bed as a FHIR R4 Location, its state as operationalStatus (HL7 table 0116)."""

from __future__ import annotations

import uuid

from fhir.resources.R4B.location import Location as FhirLocation

from services.ed.application import bed_aggregate_id
from services.ed.domainmodel import Bed
from services.errors import NotFound
from services.fhir.history import history

TABLE_0116 = "http://terminology.hl7.org/CodeSystem/v2-0116"
OPERATIONAL = {
    "occupied": ("O", "Occupied"),
    "available": ("U", "Unoccupied"),
    "dirty": ("H", "Housekeeping"),
    "cleaning": ("H", "Housekeeping"),
    "blocked": ("C", "Closed"),
}
BED_TYPE = {"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bd", "display": "Bed"}


def location_id(facility_id: str, bed_id: str) -> str:
    """Bed codes may hold spaces (PV1-3 values do); FHIR ids may not."""
    return str(bed_aggregate_id(facility_id, bed_id))


def location_by_id(hospital, facility_id: str, location: str) -> dict:
    try:
        aggregate_id = uuid.UUID(location)
    except ValueError:
        raise NotFound(f"Location/{location} not found") from None
    return _resource(*history(hospital, aggregate_id, Bed, facility_id, f"Location/{location}"), facility_id)


def location_resource(hospital, facility_id: str, bed_id: str) -> dict:
    return _resource(
        *history(hospital, bed_aggregate_id(facility_id, bed_id), Bed, facility_id, f"bed {bed_id}"), facility_id
    )


def _resource(bed, recorded, facility_id: str) -> dict:
    registered = recorded[0].fact
    code, display = OPERATIONAL[bed.status]
    resource = {
        "resourceType": "Location",
        "id": location_id(facility_id, bed.bed_id),
        "identifier": [{"system": f"urn:edflow:{facility_id}:bed", "value": bed.bed_id}],
        # A blocked bed is temporarily out of service: FHIR calls that suspended.
        "status": "suspended" if bed.status == "blocked" else "active",
        "operationalStatus": {"system": TABLE_0116, "code": code, "display": display},
        "name": registered.label or bed.bed_id,
        "description": f"{registered.bed_type} bed in {bed.unit}",
        "mode": "instance",
        "physicalType": {"coding": [BED_TYPE]},
        "partOf": {"display": bed.unit},
    }
    return FhirLocation.model_validate(resource).model_dump(mode="json", exclude_none=True)
