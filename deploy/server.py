"""The HTTP server process: the command API and, beside it, the dashboard.

Built by `edflow serve`; nothing here runs at import."""

from __future__ import annotations

from fastapi import FastAPI

from base.settings import Settings


def build_app(settings: Settings) -> FastAPI:
    from dashboard import app as dashboard
    from projections.work_queue_reader import WorkQueueReader
    from services.api.app import create_app
    from services.fhir import router as fhir

    app = create_app(settings, work_queue=WorkQueueReader)
    dashboard.attach(app, settings)
    app.include_router(fhir.router)
    return app
