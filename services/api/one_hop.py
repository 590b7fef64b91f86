"""One worker-thread hop per request for the API's plain `def` routes.

FastAPI runs a plain `def` endpoint on a worker thread, then validates its
answer against the response model on a second one; an audited read's access
log record was a third. `OneHopRoute` runs the endpoint (and, before it, the
pending access-log record of its `Reader`) in a single hop, and hands FastAPI
an `async` endpoint, whose answer it validates and encodes on the event loop
(a few microseconds for the models here). Status codes, headers, the OpenAPI
document and error handling are FastAPI's own, unchanged."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


class Deferred:
    """A dependency value with work to do on the endpoint's thread, before it runs."""

    def before_endpoint(self) -> None:
        raise NotImplementedError


def _in_one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    def run(kwargs: dict[str, Any]) -> Any:
        for value in kwargs.values():
            if isinstance(value, Deferred):
                value.before_endpoint()
        return endpoint(**kwargs)

    @functools.wraps(endpoint)  # FastAPI reads the parameters through `__wrapped__`
    async def endpoint_in_one_hop(**kwargs: Any) -> Any:
        return await run_in_threadpool(run, kwargs)

    endpoint_in_one_hop.in_one_hop = True  # type: ignore[attr-defined]
    return endpoint_in_one_hop


def _plain(endpoint: Callable[..., Any]) -> bool:
    return not (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
    )


class OneHopRoute(APIRoute):
    """An `APIRoute` whose plain `def` endpoint costs one thread hop (`one_hop` is then True)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # `include_router` builds the route again from the endpoint already wrapped.
        if _plain(endpoint) and not isinstance(endpoint, functools.partial):
            endpoint = _in_one_hop(endpoint)
        self.one_hop = getattr(endpoint, "in_one_hop", False)
        super().__init__(path, endpoint, **kwargs)
