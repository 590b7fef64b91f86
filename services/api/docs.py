"""The API docs, served by edflow itself when `EDFLOW_API_DOCS` is on.

FastAPI's own /docs and /redoc pages load Swagger UI and ReDoc from a CDN, on
the origin where the board keeps its token: a third party's script would run
beside it. Here /docs is a small page of our own files (`docs_page/`), under
a Content-Security-Policy that lets only this origin's scripts run, and the
OpenAPI description it renders needs a signed-in staff token like any other
read (the page asks for one, or reuses the board's in the same tab).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from base.access import Denied, authorize
from base.auth import Principal
from services.api.deps import bearer, refusal

PAGE = Path(__file__).parent / "docs_page"
DOCS_ROUTE = "api.docs"
# Only this origin's files, and requests only to this origin.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
ASSETS = {"docs.js": "text/javascript", "docs.css": "text/css"}


def signed_in(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    token = credentials.credentials if credentials is not None else None
    try:
        return authorize(token, DOCS_ROUTE, None, request.app.state.settings)
    except Denied as denied:
        raise refusal(denied) from None


def install(app: FastAPI) -> None:
    """GET /docs (the page), /docs/docs.js and /docs/docs.css, and /openapi.json (signed in)."""

    @app.get("/docs", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(PAGE / "index.html", headers=PAGE_HEADERS)

    def asset_route(name: str, media_type: str) -> None:
        async def asset() -> FileResponse:
            return FileResponse(PAGE / name, media_type=media_type, headers=PAGE_HEADERS)

        app.add_api_route(f"/docs/{name}", asset, methods=["GET"], include_in_schema=False)

    for name, media_type in ASSETS.items():
        asset_route(name, media_type)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(principal: Annotated[Principal, Depends(signed_in)]) -> JSONResponse:
        return JSONResponse(app.openapi(), headers={"Cache-Control": "no-store"})
