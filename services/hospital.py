"""The composed write-model application."""

from __future__ import annotations

from services.access.application import AccessCommands
from services.ed.application import EDCommands


class Hospital(EDCommands, AccessCommands):
    """Every command edflow accepts, against one event store."""
