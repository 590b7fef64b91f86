"""What both contexts' events share: the `Fact` base (its class name is the
event's stored and published `type`) and the patient's demographics.

The class name is the event's published `type` and its stored tag: renaming a
class breaks every stored and published event of that type, so don't — add a
new type and an upcaster instead. Adding an optional field is a compatible
change; anything else bumps `SCHEMA_VERSION` of that class.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

import msgspec

Sex = Literal["F", "M", "O", "U"]


class Fact(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of every catalogue event. The tag is the class name."""

    SCHEMA_VERSION: ClassVar[int] = 1


class Person(msgspec.Struct, frozen=True, kw_only=True):
    """Minimal demographics. Names and identifiers are PHI: only screens for
    roles that need them show them; the board shows initials."""

    mrn: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    birth_date: date | None = None
    age_years: int | None = None
    sex: Sex = "U"
    # Published envelopes carry initials instead of names (events/published.py);
    # unset in the store, so stored events keep their bytes.
    given_initial: str | msgspec.UnsetType = msgspec.UNSET
    family_initial: str | msgspec.UnsetType = msgspec.UNSET
