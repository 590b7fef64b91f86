"""The scheduler's work queue and report downloads (CSV or .xlsx)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from base.input_bounds import TimeWindow
from events.work_queue import QueueAppointment, WorkQueueSource
from services.access.report_files import MEDIA_TYPES, render
from services.access.reports import SCHEDULE_COLUMNS, STATS_COLUMNS, Period, schedule_rows, stats_rows
from services.access.work_queue_view import view
from services.api.deps import ReadAccess, Reader
from services.api.one_hop import OneHopRoute
from services.api.query_types import IsoDate, IsoDateTime
from services.api.replies import ERROR_RESPONSES
from services.bounds import refused_as_invalid
from services.errors import Invalid

Format = Literal["csv", "xlsx"]
router = APIRouter(tags=["scheduling"], responses=ERROR_RESPONSES, route_class=OneHopRoute)
MAX_REPORT_DAYS = 366


def queue_reader(request: Request) -> WorkQueueSource:
    """The process's work-queue reader (handed to `create_app`), caught up on every call."""
    reader: WorkQueueSource | None = request.app.state.work_queue
    if reader is None:
        raise HTTPException(503, "this server was started without the work queue")
    reader.catch_up()
    return reader


@router.get("/work-queue", name="scheduling.work-queue")
def work_queue(
    request: Request,
    reader: Reader,
    as_of: Annotated[IsoDateTime | None, Query(description="ISO 8601 date-time with offset; default: now")] = None,
) -> dict:
    """Today's appointments by department, unverified coverage, reminders due,
    no-shows to rebook, open pre-op checklists, pending waitlist offers and
    open call-backs (with the patient's MRN for the roles that see identity)."""
    settings = request.app.state.settings
    if as_of is not None:
        with refused_as_invalid("as_of"):
            TimeWindow.of(settings).check_scheduled(as_of, "as_of")
    entries = queue_reader(request).entries(reader.facility_id)
    queue = view(
        entries,
        as_of or datetime.now(UTC),
        settings.facility_timezone,
        settings.insurance_flag_days,
        settings.reminder_leads_minutes,
    )
    for call_back in queue["call_backs_due"]:
        # The queue's entries carry no identity: the MRN (to act on the row)
        # comes from the write model, for the roles that see identity.
        log_id = call_back.pop("log_id")
        call_back["mrn"] = reader.hospital.contact_log_mrn(reader.facility_id, log_id) if reader.sees_identity else None
    reader.disclosed(queue_refs(queue))
    return queue


def queue_refs(queue: dict) -> list[str]:
    """The appointments, waitlist entries and patients a work queue shows, as `Type/id`."""
    items = [item for items in queue["today"].values() for item in items]
    for section in ("unverified_coverage", "reminders_due", "no_shows_to_rebook", "checklists_open"):
        items.extend(queue[section])
    call_backs = queue.get("call_backs_due", [])
    return (
        [f"Appointment/{item['appointment_id']}" for item in items]
        + [f"WaitlistEntry/{offer['entry_id']}" for offer in queue["offers_pending"]]
        + [f"Appointment/{c['appointment_id']}" for c in call_backs if c["appointment_id"]]
        + [f"Patient/{c['mrn']}" for c in call_backs if c.get("mrn")]
    )


def _download(
    request: Request,
    reader: ReadAccess,
    kind: str,
    first: date,
    last: date | None,
    fmt: Format,
    period: Period = "month",
) -> Response:
    last = last or first
    if last < first:
        raise Invalid("to is before from", field="to")
    if (last - first).days >= MAX_REPORT_DAYS:
        raise Invalid(f"a report covers at most {MAX_REPORT_DAYS} days", field="to")
    window = TimeWindow.of(request.app.state.settings)
    with refused_as_invalid("from"):
        window.check_day(first, "from")
        window.check_day(last, "to")
    tz = request.app.state.settings.facility_timezone
    appointments = [e for e in queue_reader(request).entries(reader.facility_id) if isinstance(e, QueueAppointment)]
    columns: Sequence[str]
    if kind == "schedule":
        columns, rows = SCHEDULE_COLUMNS, schedule_rows(appointments, first, last, tz)
    else:
        columns, rows = STATS_COLUMNS, stats_rows(appointments, first, last, tz, period)
    if kind == "schedule":
        reader.disclosed([f"Appointment/{row['appointment_id']}" for row in rows])
    name = f"{kind}-{reader.facility_id}-{first.isoformat()}-{last.isoformat()}.{fmt}"
    return Response(
        render(kind, fmt, columns, rows),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


From = Annotated[IsoDate, Query(alias="from", description="first local day, YYYY-MM-DD")]
To = Annotated[
    IsoDate | None,
    Query(alias="to", description=f"last local day (default: from); not before from, at most {MAX_REPORT_DAYS} days"),
]
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the report as an attachment: CSV (format=csv) or an Excel workbook (format=xlsx)",
        "content": {
            MEDIA_TYPES["csv"]: {"schema": {"type": "string"}},
            MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.get("/reports/schedule", name="scheduling.report-schedule", response_class=Response, responses=DOWNLOAD)
def schedule_report(request: Request, reader: Reader, first: From, last: To = None, format: Format = "csv"):
    """The appointments of each day from `from` to `to`, as a download."""
    return _download(request, reader, "schedule", first, last, format)


@router.get("/reports/stats", name="scheduling.report-stats", response_class=Response, responses=DOWNLOAD)
def stats_report(
    request: Request,
    reader: Reader,
    first: From,
    last: To = None,
    format: Format = "csv",
    period: Literal["day", "week", "month"] = "month",
):
    """No-show, cancellation and lead-time statistics by department and period."""
    return _download(request, reader, "stats", first, last, format, period)
