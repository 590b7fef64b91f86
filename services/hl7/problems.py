"""What can be wrong with a message, in the terms an ACK reports it.

`ContentError` -> AE (the content is refused; nothing recorded),
`Rejection` -> AR (we do not take this kind of message at all). Both name the
field (segment, repetition, field) and an HL7 table 0357 error code.
"""

from __future__ import annotations

from typing import NamedTuple

from services.errors import AlreadyExists, DomainError, Invalid, NotFound

# HL7 table 0357 (message error condition codes).
SEGMENT_SEQUENCE = 100
REQUIRED_MISSING = 101
DATA_TYPE = 102
TABLE_VALUE = 103
UNSUPPORTED_TYPE = 200
UNSUPPORTED_EVENT = 201
UNSUPPORTED_PROCESSING_ID = 202
UNSUPPORTED_VERSION = 203
UNKNOWN_KEY = 204
DUPLICATE_KEY = 205
APPLICATION_ERROR = 207

CODE_TEXT = {
    0: "Message accepted",
    SEGMENT_SEQUENCE: "Segment sequence error",
    REQUIRED_MISSING: "Required field missing",
    DATA_TYPE: "Data type error",
    TABLE_VALUE: "Table value not found",
    UNSUPPORTED_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT: "Unsupported event code",
    UNSUPPORTED_PROCESSING_ID: "Unsupported processing id",
    UNSUPPORTED_VERSION: "Unsupported version id",
    UNKNOWN_KEY: "Unknown key identifier",
    DUPLICATE_KEY: "Duplicate key identifier",
    APPLICATION_ERROR: "Application internal error",
}


class Location(NamedTuple):
    segment: str
    field: int
    sequence: int = 1

    def __str__(self) -> str:
        return f"{self.segment}-{self.field}"


class Problem(NamedTuple):
    text: str
    location: Location | None = None
    code: int = APPLICATION_ERROR
    severity: str = "E"  # E error, W warning, I information


class ContentError(Exception):
    def __init__(self, text: str, location: Location | None = None, code: int = DATA_TYPE):
        super().__init__(text)
        self.problem = Problem(text, location, code)


class Rejection(Exception):
    def __init__(self, text: str, location: Location | None = None, code: int = UNSUPPORTED_TYPE):
        super().__init__(text)
        self.problem = Problem(text, location, code)


def from_domain(error: DomainError, location: Location | None) -> ContentError:
    """Our domain's refusal, in HL7 terms, pointing at the field that caused it."""
    if isinstance(error, NotFound):
        code = UNKNOWN_KEY
    elif isinstance(error, AlreadyExists):
        code = DUPLICATE_KEY
    elif isinstance(error, Invalid):
        code = DATA_TYPE
    else:  # any other Conflict: the state does not allow it (bed taken, visit closed)
        code = APPLICATION_ERROR
    return ContentError(error.message, location, code)
