"""Search results as a FHIR R4 searchset Bundle."""

from __future__ import annotations

from collections.abc import Callable

from fhir.resources.R4B.bundle import Bundle

from services.errors import NotFound


def searchset(request, find: Callable[[], dict | list[dict]]) -> dict:
    """Search matches: one resource, a list, or none (a search never 404s)."""
    try:
        result = find()
    except NotFound:
        result = []
    found = result if isinstance(result, list) else [result]
    base = str(request.base_url).rstrip("/") + request.url.path.rsplit("/", 1)[0]
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(found),
        "link": [{"relation": "self", "url": str(request.url)}],
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in found
        ],
    }
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)
