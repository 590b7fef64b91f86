"""Search results as a FHIR R4 searchset Bundle, a page at a time.

A search hands over its matches in the order they were created, each with
its position in the store's log and a way to build it; only the page that is
returned is built. `_count` sets the page size (`DEFAULT_COUNT` when absent,
at most `MAX_COUNT`; 0 gives only the total) and the `next` link carries
`_cursor`, the position of the last match sent: the following page starts
after it, so a match is never sent twice and one created since is not
skipped.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple, TypeVar, overload

from fhir.resources.R4B.bundle import Bundle

from services.errors import NotFound
from services.fhir.search import BadSearch

DEFAULT_COUNT = 20  # as common FHIR servers page by default
MAX_COUNT = 500

log = logging.getLogger("edflow.fhir")
# Records left out of searches because they could not be built or matched, by
# resource type: one bad record must not fail a search for everyone.
SKIPPED: Counter[str] = Counter()
# What a damaged or out-of-range record raises while it is built or compared.
UNUSABLE = (TypeError, ValueError, KeyError, AttributeError, OverflowError)
T = TypeVar("T")


def skipped(kind: str, record_id: object, error: Exception) -> None:
    """Count and log (by id, never content) a record a search leaves out."""
    SKIPPED[kind] += 1
    log.error("FHIR %s search skipped record %s: %s", kind, record_id, type(error).__name__)


def matching(kind: str, items: Iterable[T], keep: Callable[[T], object]) -> Iterator[T]:
    """The items `keep` accepts; one it cannot judge is skipped."""
    for item in items:
        try:
            if keep(item):
                yield item
        except UNUSABLE as error:
            skipped(kind, getattr(item, "id", None), error)


Build = Callable[[], dict]


class Match(NamedTuple):
    position: int  # order of results, and the cursor of the page after it
    build: Build


class Paged(Sequence[Match]):
    """Matches known by their sorted positions and built into a Match only
    when looked at: a page and its total cost the page, not every match."""

    def __init__(self, positions: list[int], match: Callable[[int], Match]):
        self.positions, self._match = positions, match

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, i: int) -> Match: ...
    @overload
    def __getitem__(self, i: slice) -> list[Match]: ...
    def __getitem__(self, i: int | slice) -> Match | list[Match]:
        if isinstance(i, slice):
            return [self._match(p) for p in self.positions[i]]
        return self._match(self.positions[i])

    def first_after(self, position: int) -> int:
        """The index of the first match after `position` (a page's cursor)."""
        return bisect_right(self.positions, position)


def ready(resource: dict) -> Build:
    """A resource already built, as a match's build."""
    return lambda: resource


def built(resources: Sequence[dict]) -> list[Match]:
    """Resources already built, in the order given."""
    return [Match(i, ready(r)) for i, r in enumerate(resources, start=1)]


def _whole(request, name: str, low: int, high: int | None = None) -> int | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        bound = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise BadSearch(f"{name}={text} is not a whole number {bound}")
    return int(text)


def searchset(request, find: Callable[[], Sequence[Match]]) -> dict:
    """One page of the matches (a search never 404s)."""
    try:
        matches = find()
    except NotFound:
        matches = []
    count = _whole(request, "_count", 0, MAX_COUNT)
    count = DEFAULT_COUNT if count is None else count
    after = _whole(request, "_cursor", 0) or 0
    first = matches.first_after(after) if isinstance(matches, Paged) else 0
    page: list[tuple[int, dict]] = []
    more = False
    for i in range(first, len(matches)):
        match = matches[i]
        if match.position <= after:
            continue
        if len(page) == count:
            more = count > 0
            break
        try:
            page.append((match.position, match.build()))
        except NotFound:
            continue  # gone between the look-up and the build
        except UNUSABLE as error:
            skipped("resource", match.position, error)
    base = str(request.base_url).rstrip("/") + request.url.path.rsplit("/", 1)[0]
    links = [{"relation": "self", "url": str(request.url)}]
    if more:
        links.append({"relation": "next", "url": str(request.url.include_query_params(_cursor=page[-1][0]))})
    entries = [
        {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
        for _, r in page
    ]
    envelope = {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "link": links}
    # Each resource was validated as it was built: validate the envelope alone
    # (validating the entries again would double the cost of a page).
    bundle = Bundle.model_validate(envelope).model_dump(mode="json", exclude_none=True)
    if entries:
        bundle["entry"] = entries
    return bundle


def disclosed_refs(bundle: dict) -> list[str]:
    """`Type/id` of each resource in a searchset, and `Patient/<MRN>` of each patient it shows."""
    refs: list[str] = []

    def patients(value: object) -> None:
        if isinstance(value, dict):
            kind = value.get("type")
            if isinstance(kind, dict) and kind.get("text") == "MRN" and isinstance(value.get("value"), str):
                refs.append(f"Patient/{value['value']}")
            for item in value.values():
                patients(item)
        elif isinstance(value, list):
            for item in value:
                patients(item)

    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        refs.append(f"{resource['resourceType']}/{resource['id']}")
        patients(resource)
    return refs
