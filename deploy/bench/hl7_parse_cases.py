"""Inputs for bench_hl7_parse.py: the values edflow reads, the samples, and the
malformed messages and MLLP byte streams both implementations are given."""

from __future__ import annotations

from tests.conftest import FIXTURES
from tests.services.hl7.messages import adt, batch, siu

SAMPLES = sorted((FIXTURES / "hl7").glob("*.hl7"))
BASE = FIXTURES / "hl7" / "hapi-hl7v2__ADT_A01.hl7"  # real-world, CR segment ends

# (field, component, subcomponent, repetition from 0) read by context.py, adt.py,
# siu.py, datatypes.py and ack.py; every occurrence of each segment is compared.
FIELDS: dict[str, list[tuple[int, int, int, int]]] = {
    "MSH": [(f, 1, 1, 0) for f in (3, 4, 5, 6, 7, 10, 11, 12)] + [(9, 1, 1, 0), (9, 2, 1, 0)],
    "EVN": [(2, 1, 1, 0), (4, 1, 1, 0), (4, 2, 1, 0), (6, 1, 1, 0)],
    "PID": [(2, 1, 1, 0), (5, 1, 1, 0), (5, 2, 1, 0), (7, 1, 1, 0), (8, 1, 1, 0), (18, 1, 1, 0)]
    + [(3, c, 1, r) for r in range(3) for c in (1, 5)],
    "PV1": [(f, 1, 1, 0) for f in (2, 10, 19, 37)]
    + [(f, c, 1, 0) for f in (3, 6) for c in (1, 2, 3, 4)]
    + [(36, 1, 1, 0), (36, 2, 1, 0)],
    "PV2": [(3, 1, 1, 0), (3, 2, 1, 0), (38, 1, 1, 0)],
    "SCH": [(f, 1, 1, 0) for f in (1, 2, 7, 16)]
    + [(6, 1, 1, 0), (6, 2, 1, 0), (7, 2, 1, 0), (11, 4, 1, 0), (11, 5, 1, 0)],  # fmt: skip
    "TQ1": [(7, 1, 1, 0), (8, 1, 1, 0)],
    "AIS": [(3, 1, 1, 0), (3, 2, 1, 0), (4, 1, 1, 0), (7, 1, 1, 0), (8, 1, 1, 0)],
    "AIL": [(3, 1, 1, 0), (3, 2, 1, 0), (6, 1, 1, 0), (9, 1, 1, 0), (10, 1, 1, 0)],
    "AIP": [(3, 1, 1, 0), (6, 1, 1, 0), (9, 1, 1, 0), (10, 1, 1, 0)],
    "AIG": [(8, 1, 1, 0), (11, 1, 1, 0), (12, 1, 1, 0)],
    "IN1": [(f, 1, 1, 0) for f in (2, 3, 4, 8, 12, 13, 36, 49)] + [(2, 2, 1, 0)],
}

DATES = [
    "20260302080000-0600", "202603020800", "20260302", "2026", "20260302080000.1234+0530",
    "20260302080000", "2026-03-02", "20261302", "20260230", "20260302080000garbage", "20260302 0800", "",
]  # fmt: skip


def normalised(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\r").replace(b"\n", b"\r")


def _edit(text: str, segment: str, field: int, value: str) -> str:
    """`text` with one field of the first `segment` replaced (fields padded as needed)."""
    lines = text.split("\r")
    for n, line in enumerate(lines):
        if line.startswith(segment + "|"):
            parts = line.split("|")
            parts += [""] * (field + 1 - len(parts))
            parts[field] = value
            lines[n] = "|".join(parts)
            break
    return "\r".join(lines)


def message_cases() -> list[tuple[str, bytes]]:
    base = normalised(BASE.read_bytes()).decode()
    body = base.encode()
    escaped = _edit(base, "PID", 5, "O\\S\\BRIEN\\T\\X^ANNE\\F\\MARIE\\R\\\\E\\")
    formatted = _edit(base, "EVN", 4, "R^wrong visit\\.br\\next line \\H\\bold\\N\\")
    lone = _edit(base, "EVN", 4, "R^see C:\\temp")
    nonstandard = base.replace("MSH|^~\\&|", "MSH#@$!%#").replace("|", "#").replace("^", "@")
    return [(f"sample {p.stem}", p.read_bytes()) for p in SAMPLES] + [
        (f"{BASE.stem}, CR (reference)", body),
        ("LF segment ends", body.replace(b"\r", b"\n")),
        ("CRLF segment ends", body.replace(b"\r", b"\r\n")),
        ("UTF-8 BOM", "\ufeff".encode() + body),
        ("Latin-1 byte (PID-5 M\\xfcller)", _edit(base, "PID", 5, "M\xfcller^ANNE").encode("latin-1")),
        ("blank lines between segments", body.replace(b"\r", b"\r\r\n")),
        ("trailing NUL and spaces", body + b"  \x00"),
        ("no MSH (starts at EVN)", body.split(b"\r", 1)[1]),
        ("MSH cut after MSH-2", b"MSH|^~\\&\r"),
        ("truncated mid-PID", body[: body.index(b"PID") + 30]),
        ('explicit nulls "" (PID-5, PV1-3)', _edit(_edit(base, "PID", 5, '""'), "PV1", 3, '""').encode()),
        ("escaped separators \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ (PID-5)", escaped.encode()),
        ("formatting escapes \\.br\\ \\H\\ \\N\\ (EVN-4)", formatted.encode()),
        ("a lone escape character C:\\temp (EVN-4)", lone.encode()),
        ("repetitions ~ (PID-3)", _edit(base, "PID", 3, "X1^^^A^PI~MRN9^^^H^MR~~Z9").encode()),
        ("non-standard separators #@$!%", nonstandard.encode()),
        ("lower-case segment names", body.replace(b"\rPID|", b"\rpid|")),
        ("batch BHS/BTS of A04 + SIU S12", batch(adt("A04"), siu("S12")).encode()),
        ("file FHS/FTS around a batch", ("FHS|^~\\&|EPIC\r" + batch(adt("A03")) + "FTS|1\r").encode()),
    ]


def _frame(body: bytes) -> bytes:
    return b"\x0b" + body + b"\x1c\r"


def frame_cases() -> list[tuple[str, bytes, list[bytes]]]:
    """(label, the bytes on the wire, the frame bodies a correct reader delivers)."""
    one, two = adt("A04", "F1").encode(), adt("A03", "F2").encode()
    huge = one.replace(b"\rEVN", b"\rNTE|1||" + b"x" * 200_000 + b"\rEVN")
    return [
        ("one frame", _frame(one), [one]),
        ("two frames in one write", _frame(one) + _frame(two), [one, two]),
        ("noise before the start block", b"\r\n\x00noise" + _frame(one), [one]),
        ("noise after the end block, then a frame", _frame(one) + b"\n keep-alive \x00" + _frame(two), [one, two]),
        ("end block without the CR", b"\x0b" + one + b"\x1c" + _frame(two), [one, two]),
        ("frame cut short by the next start block", b"\x0b" + one[:40] + _frame(two), [two]),
        ("oversized frame (200 kB), then a frame", _frame(huge) + _frame(two), [two]),
        ("connection closed mid-frame", _frame(one) + b"\x0b" + two[:40], [one]),
        ("UTF-8 BOM inside the frame", _frame("\ufeff".encode() + one), ["\ufeff".encode() + one]),
    ]
