"""The input bounds of `base.input_bounds` as the write model's refusal:
`Invalid`, answered 422 by the HTTP API and AE by the HL7 intake."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from base.input_bounds import OutOfBounds
from services.errors import Invalid


@contextmanager
def refused_as_invalid(field: str) -> Iterator[None]:
    """Turns OutOfBounds into Invalid naming the field (the check's own, else `field`)."""
    try:
        yield
    except OutOfBounds as refused:
        raise Invalid(str(refused), field=refused.field or field) from None
