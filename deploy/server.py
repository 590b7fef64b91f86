"""The HTTP server process: the command API and, beside it, the dashboard.

Built by `edflow serve`; nothing here runs at import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from base.settings import Settings

if TYPE_CHECKING:
    from dashboard.board_socket import BoardAudit, BoardWatch
    from services.hospital import Hospital


def build_app(settings: Settings) -> FastAPI:
    from dashboard import app as dashboard
    from deploy.audit_routes import audit_router
    from deploy.measures_route import measures_router
    from deploy.patient_timeline_route import patient_timeline_router
    from deploy.replay_route import replay_router
    from projections.work_queue_reader import WorkQueueReader
    from services.api.app import create_app
    from services.fhir import router as fhir

    app = create_app(settings, work_queue=WorkQueueReader)
    dashboard.attach(app, settings, audit=board_audit(app.state.hospital))
    app.include_router(fhir.router)
    app.include_router(replay_router(settings, app.state.hospital))
    app.include_router(audit_router(settings, app.state.hospital))
    app.include_router(patient_timeline_router(settings, app.state.hospital))
    app.include_router(measures_router(settings, app.state.hospital))
    return app


def board_audit(hospital: Hospital) -> BoardAudit:
    """Board subscriptions recorded in the access log of `hospital`'s store."""
    from services.audit.access import Watch, record_watch

    def record(watch: BoardWatch) -> None:
        period = Watch(id=watch.id, unit=watch.unit, view=watch.view, started_at=watch.started_at,
                       ended_at=watch.ended_at)  # fmt: skip
        record_watch(hospital, watch.subject, watch.role, watch.facility, watch.client, period)

    return record
