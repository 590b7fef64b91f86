"""Tolerant HL7 v2 parsing: a message as segments of fields, read by position.

Real feeds arrive with LF or CRLF segment ends, a UTF-8 byte-order mark, stray
blank lines and non-standard encoding characters, so the parser accepts all of
them. It never decides what a field means: the ADT and SIU mappings do, and
they are strict about what becomes an event. Why this is not the `hl7` package's
parser, with measurements: README.md.
"""

from __future__ import annotations

from typing import NamedTuple

BOM = "\ufeff"
HEADERS = ("MSH", "BHS", "FHS")


class Unparseable(Exception):
    """The bytes are not an HL7 v2 message we can even acknowledge properly."""


class Separators(NamedTuple):
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


def separators_of(header: str) -> Separators:
    """Separators declared by an MSH/BHS/FHS segment (defaults where absent)."""
    if len(header) < 4:
        return Separators()
    field = header[3]
    declared = header[4:].split(field, 1)[0]
    defaults = Separators()
    chars = [declared[i] if i < len(declared) else defaults[i + 1] for i in range(4)]
    return Separators(field, *chars)


def decode_text(raw: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else Latin-1, which cannot fail."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.lstrip(BOM)


def split_segments(text: str) -> list[str]:
    """CR, LF or CRLF all end a segment; blank lines are dropped."""
    text = text.lstrip(BOM).replace("\r\n", "\r").replace("\n", "\r")
    return [s for s in (line.strip(" \t\x00") for line in text.split("\r")) if s]


class Segment:
    __slots__ = ("name", "fields", "seps", "_read")

    def __init__(self, line: str, seps: Separators):
        self.seps = seps
        self._read: dict[tuple[int, int, int, int], str] = {}  # values already read by `get`
        parts = line.split(seps.field)
        self.name = parts[0][:3].upper()
        if self.name in HEADERS:
            # MSH-1 is the field separator itself, so MSH-n is parts[n - 1].
            self.fields = [parts[0], seps.field, *parts[1:]]
        else:
            self.fields = parts

    def raw(self, field: int) -> str:
        return self.fields[field] if 0 <= field < len(self.fields) else ""

    def repetitions(self, field: int) -> list[str]:
        raw = self.raw(field)
        if self.name in HEADERS and field <= 2:
            return [raw]
        return raw.split(self.seps.repetition) if raw else []

    def get(self, field: int, component: int = 1, subcomponent: int = 1, repetition: int = 0) -> str:
        """One value by HL7 position (1-based field/component/subcomponent),
        unescaped; "" when absent or sent as the explicit null `""`."""
        where = (field, component, subcomponent, repetition)
        value = self._read.get(where)
        if value is None:
            value = self._read[where] = self._get(field, component, subcomponent, repetition)
        return value

    def _get(self, field: int, component: int, subcomponent: int, repetition: int) -> str:
        reps = self.repetitions(field)
        if repetition >= len(reps):
            return ""
        if self.name in HEADERS and field <= 2:
            return reps[0]
        components = reps[repetition].split(self.seps.component)
        if component > len(components):
            return ""
        subs = components[component - 1].split(self.seps.subcomponent)
        if subcomponent > len(subs):
            return ""
        value = subs[subcomponent - 1].strip()
        return "" if value == '""' else unescape(value, self.seps)


def unescape(value: str, seps: Separators) -> str:
    if seps.escape not in value:
        return value
    e = seps.escape
    table = {"F": seps.field, "S": seps.component, "T": seps.subcomponent, "R": seps.repetition, "E": e}
    out, i = [], 0
    while i < len(value):
        end = value.find(e, i + 1) if value[i] == e else -1
        if end > i:
            code = value[i + 1 : end]
            if code in table:
                out.append(table[code])
            elif code.startswith("X") and len(code) > 1:
                try:
                    out.append(bytes.fromhex(code[1:]).decode("latin-1"))
                except ValueError:
                    out.append(value[i : end + 1])
            # Formatting escapes (\.br\, \H\ ...) carry no data for us: dropped.
            i = end + 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


class Message:
    """One MSH-headed message."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        self.msh = segments[0]
        self._first: dict[str, Segment] = {}
        for segment in reversed(segments):
            self._first[segment.name] = segment

    def first(self, name: str) -> Segment | None:
        return self._first.get(name)

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]

    def value(self, name: str, field: int, component: int = 1, subcomponent: int = 1) -> str:
        segment = self.first(name)
        return segment.get(field, component, subcomponent) if segment is not None else ""


def parse_message(lines: list[str]) -> Message:
    """Segments of one message; the first must be MSH."""
    if not lines or not lines[0].upper().startswith("MSH") or len(lines[0]) < 8:
        first = lines[0][:3] if lines else "nothing"
        raise Unparseable(f"a message must start with an MSH segment, not {first!r}")
    seps = separators_of(lines[0])
    if seps.field.isalnum() or len(set(seps)) < 5:
        raise Unparseable("MSH-1/MSH-2 do not declare five distinct separators")
    return Message([Segment(line, seps) for line in lines])
