"""Beds: registration, and the cycle occupied -> dirty -> cleaning -> available."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.api.deps import Command, HospitalDep, Reader
from services.api.one_hop import OneHopRoute
from services.api.replies import ERROR_RESPONSES, OutcomeOut
from services.api.schemas import BlockBed, CommandBody, RegisterBed
from services.api.views import bed_view

router = APIRouter(prefix="/beds", tags=["beds"], responses=ERROR_RESPONSES, route_class=OneHopRoute)

BedId = Annotated[str, Path(min_length=1, max_length=64, description="the bed's code, e.g. ED-12")]


@router.post("", name="beds.register", status_code=201, response_model=OutcomeOut)
def register(body: RegisterBed, command: Command, hospital: HospitalDep):
    return command(
        hospital.register_bed, body, bed_id=body.bed_id, unit=body.unit, bed_type=body.bed_type, label=body.label or ""
    )


@router.get("/{bed_id}", name="beds.read")
def read(bed_id: BedId, reader: Reader) -> dict:
    return bed_view(reader.hospital, reader.facility_id, bed_id)


@router.post("/{bed_id}/release", name="beds.release", response_model=OutcomeOut)
def release(bed_id: BedId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    """The patient in this bed leaves it but stays in the department; the bed turns dirty."""
    return command(hospital.release_bed, body or CommandBody(), bed_id)


@router.post("/{bed_id}/cleaning-started", name="beds.cleaning-started", response_model=OutcomeOut)
def start_cleaning(bed_id: BedId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    return command(hospital.start_cleaning, body or CommandBody(), bed_id)


@router.post("/{bed_id}/cleaned", name="beds.cleaned", response_model=OutcomeOut)
def cleaned(bed_id: BedId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    return command(hospital.finish_cleaning, body or CommandBody(), bed_id)


@router.post("/{bed_id}/block", name="beds.block", response_model=OutcomeOut)
def block(bed_id: BedId, body: BlockBed, command: Command, hospital: HospitalDep):
    return command(hospital.block_bed, body, bed_id, reason=body.reason)


@router.post("/{bed_id}/unblock", name="beds.unblock", response_model=OutcomeOut)
def unblock(bed_id: BedId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    return command(hospital.unblock_bed, body or CommandBody(), bed_id)
