"""The composed write-model application."""

from __future__ import annotations

from services.access.application import AccessCommands
from services.ed.application import EDCommands
from services.patients.commands import PatientCommands


class Hospital(EDCommands, AccessCommands, PatientCommands):
    """Every command edflow accepts, against one event store."""
