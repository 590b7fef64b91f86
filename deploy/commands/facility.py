"""`edflow facility`: check a facility file, and register its beds and its
clinics' working schedules.

Loading is idempotent: a bed that is already registered, or a provider who
already has a schedule, is left as it is (a difference from the file is
reported, never changed), so the command is safe to run on every start-up.
"""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from pathlib import Path

from base.facility import Facility, FacilityError, load_facility
from base.settings import Settings
from deploy.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "facility",
        help="check a facility file or register its beds",
        description="Check a facility configuration (TOML) or register its ED beds in the event store.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text, func in (
        ("load", "register the file's beds and define its schedules (existing ones are kept)", _load),
        ("check", "validate the file and summarise it; records nothing", _check),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.add_argument(
            "--file",
            type=Path,
            default=None,
            help="facility TOML (default: EDFLOW_FACILITY_CONFIG, the demo hospital)",
        )
        action.set_defaults(func=func)


def _facility(args: argparse.Namespace) -> tuple[Facility, Settings]:
    from deploy.bootstrap import load_settings

    settings = load_settings()
    try:
        return load_facility(args.file or settings.facility_config), settings
    except FacilityError as error:
        raise CommandError(str(error)) from None


def _check(args: argparse.Namespace) -> int:
    facility, _ = _facility(args)
    beds = facility.beds()
    print(
        f"{facility.id}: {facility.name} ({facility.timezone}) - {len(facility.units)} units, {len(beds)} beds, "
        f"{len(facility.providers)} providers, {len(facility.departments)} departments, "
        f"{len(facility.hl7_senders)} HL7 senders: OK"
    )
    return 0


def _load(args: argparse.Namespace) -> int:
    from deploy.bootstrap import hospital

    facility, settings = _facility(args)
    app = hospital(settings)
    try:
        actor_id = f"cli:{getpass.getuser()}"
        registered, kept, differing = load_beds(app, facility, actor_id=actor_id)
        defined, existing, other = load_schedules(app, facility, actor_id=actor_id)
    finally:
        app.close()
    for line in differing + other:
        print(f"note: {line}")
    print(f"{facility.id}: {registered} beds registered, {kept} already registered")
    print(f"{facility.id}: {defined} schedules defined, {existing} already defined")
    return 0


def load_schedules(app, facility: Facility, actor_id: str = "facility-loader") -> tuple[int, int, list[str]]:
    """Define the working week of every provider and room of a department with
    `hours` that has no schedule yet. Returns (defined, already defined, notes about
    schedules that differ from the file: reported, never changed)."""
    from base.facility_hours import working_weeks
    from events.envelope import Actor
    from services.recording import Meta

    defined, kept, differing = 0, 0, []
    for week in working_weeks(facility, rooms=True):
        existing = app.resource_schedule(facility.id, week.kind, week.provider_id)
        if existing is None:
            meta = Meta(facility_id=facility.id, occurred_at=datetime.now(UTC), actor=Actor(id=actor_id, role="admin"))
            app.define_schedule(
                meta, week.kind, week.provider_id, week.department, facility.timezone, week.hours, week.slot_lengths
            )
            defined += 1
            continue
        kept += 1
        hours = sorted((h.weekday, h.start, h.end) for h in existing.hours)
        if (existing.department, existing.tz.key, hours, existing.slot_lengths) != (
            week.department, facility.timezone, week.hours, week.slot_lengths
        ):  # fmt: skip
            differing.append(f"{week.kind} {week.provider_id} has a schedule that differs from the file; it is kept")
    return defined, kept, differing


def load_beds(
    app, facility: Facility, actor_id: str = "facility-loader", progress: bool = True
) -> tuple[int, int, list[str]]:
    """Register every bed of the facility that is not registered yet.

    Returns (registered, already registered, notes about registered beds
    whose unit differs from the file: those are reported, never changed)."""
    from rich.console import Console
    from rich.progress import Progress

    from events.envelope import Actor
    from services.errors import AlreadyExists
    from services.recording import Meta

    registered, kept, differing = 0, 0, []
    beds = facility.beds()
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not (progress and console.is_terminal)) as bar:
        task = bar.add_task(f"registering {facility.id} beds", total=len(beds))
        for bed in beds:
            meta = Meta(
                facility_id=facility.id,
                occurred_at=datetime.now(UTC),
                actor=Actor(id=actor_id, role="admin"),
            )
            try:
                app.register_bed(meta, bed.bed_id, bed.unit, bed.bed_type, bed.label)
                registered += 1
            except AlreadyExists:
                kept += 1
                existing = app.bed(facility.id, bed.bed_id)
                if existing.unit != bed.unit:
                    differing.append(
                        f"bed {bed.bed_id} is registered in unit {existing.unit}, the file says {bed.unit}"
                    )
            bar.advance(task)
    return registered, kept, differing
