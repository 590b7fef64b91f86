"""JSON Schema for every published event, generated from the catalogue, and
for the board stream's messages (events/schemas/board/).

The committed files under events/schemas/ let an outside consumer validate
what it reads from Kafka without Python. `python -m events.schema` rewrites
them; a test fails when they drift from the catalogue or the board contract.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from events.board import BoardMessage
from events.catalogue import ALL_FACTS, Fact
from events.envelope import Envelope
from events.published import (
    IDENTITY_WITHHELD_SINCE,
    WITHHELD,
    WITHHELD_MRN_FIELDS,
    WITHHELD_PERSON_FIELDS,
    published_version,
)

SCHEMA_DIR = Path(__file__).parent / "schemas"
BOARD_SCHEMA = SCHEMA_DIR / "board" / "BoardMessage.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def event_schema(fact: type[Fact]) -> dict[str, Any]:
    (envelope_ref,), components = msgspec.json.schema_components([Envelope], ref_template="#/$defs/{name}")
    envelope = dict(components["Envelope"])
    envelope["properties"] = dict(envelope["properties"])
    (fact_ref,), fact_components = msgspec.json.schema_components([fact], ref_template="#/$defs/{name}")
    envelope["properties"]["data"] = fact_ref
    envelope["properties"]["type"] = {"const": fact.__name__}
    version = published_version(fact)
    envelope["properties"]["schema_version"] = {"const": version}
    available = {**components, **fact_components}
    if fact in IDENTITY_WITHHELD_SINCE:
        available = _identity_withheld(available, fact.__name__)
    schema = {
        "$schema": DIALECT,
        "$id": f"https://edflow.dev/schemas/events/{fact.__name__}.v{version}.json",
        "title": fact.__name__,
        "description": (fact.__doc__ or f"{fact.__name__} event").strip().splitlines()[0],
        **envelope,
    }
    schema["$defs"] = {name: available[name] for name in sorted(_referenced(schema, available))}
    return schema


def _identity_withheld(available: dict[str, Any], fact_name: str) -> dict[str, Any]:
    """The definitions as published: identity fields always null (an insurance
    member id always empty), see events/published.py."""
    withheld = {"type": "null", "default": None, "description": WITHHELD}
    initial = {"type": "string", "description": "first letter of the name, upper case; absent: no name stated"}
    patched = dict(available)
    for name, fields, value in (
        ("Person", WITHHELD_PERSON_FIELDS, withheld),
        ("Person", ("given_initial", "family_initial"), initial),
        (fact_name, ("contact",), withheld),
        ("Coverage", ("member_id",), {"const": "", "description": WITHHELD}),
        (fact_name, WITHHELD_MRN_FIELDS, {"const": "", "description": WITHHELD}),
    ):
        definition = patched.get(name)
        if definition is None or not set(fields) & set(definition["properties"]):
            continue
        properties = {**definition["properties"], **{f: value for f in fields if f in definition["properties"]}}
        patched[name] = {**definition, "properties": properties}
    return patched


def _referenced(node: Any, available: dict[str, Any]) -> set[str]:
    """Names of the $defs reachable from node."""
    found: set[str] = set()
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and (name := ref.rsplit("/", 1)[-1]) not in found:
                found.add(name)
                pending.append(available[name])
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def render_all() -> dict[str, str]:
    """File name -> file text for every event type."""
    return {
        f"{fact.__name__}.json": json.dumps(event_schema(fact), indent=2, sort_keys=True) + "\n" for fact in ALL_FACTS
    }


def board_schema() -> dict[str, Any]:
    """The board topic's message: a snapshot or delta of typed entity changes."""
    _, components = msgspec.json.schema_components([BoardMessage], ref_template="#/$defs/{name}")
    return {
        "$schema": DIALECT,
        "$id": "https://edflow.dev/schemas/board/BoardMessage.json",
        "title": "BoardMessage",
        "description": "One message of the board stream: a facility's snapshot or delta (see events/board.py).",
        **components["BoardMessage"],
        "$defs": {name: components[name] for name in sorted(_referenced(components["BoardMessage"], components))},
    }


def render_board() -> str:
    return json.dumps(board_schema(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    rendered = render_all()
    for stale in SCHEMA_DIR.glob("*.json"):
        if stale.name not in rendered:
            stale.unlink()
    for name, text in rendered.items():
        (SCHEMA_DIR / name).write_text(text)
    BOARD_SCHEMA.parent.mkdir(exist_ok=True)
    BOARD_SCHEMA.write_text(render_board())
    print(f"wrote {len(rendered)} event schemas and the board schema to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
