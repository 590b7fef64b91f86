"""Acknowledgements: MSH + MSA (+ ERR per problem), in the sender's version.

ERR is written the way the message's version expects it: ERR-1 (ELD) up to
v2.4, ERR-2/3/4/8 from v2.5 on, so any receiver can find the field we blame.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from services.hl7.parse import Segment, Separators
from services.hl7.problems import CODE_TEXT, Problem

RECEIVER = "EDFLOW"


def escape(text: str, seps: Separators = Separators()) -> str:
    e = seps.escape
    if not any(c in text for c in (e, seps.field, seps.component, seps.subcomponent, seps.repetition, "\r", "\n")):
        return text
    table = {
        e: f"{e}E{e}",
        seps.field: f"{e}F{e}",
        seps.component: f"{e}S{e}",
        seps.subcomponent: f"{e}T{e}",
        seps.repetition: f"{e}R{e}",
    }
    return "".join(table.get(c, c) for c in text.replace("\r", " ").replace("\n", " "))


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        return (2, 5)


def err_segment(problem: Problem, version: str) -> str:
    loc = problem.location
    code_text = CODE_TEXT.get(problem.code, "Application error")
    text = escape(problem.text)
    if _version_tuple(version) < (2, 5):
        eld = f"{loc.segment}^{loc.sequence}^{loc.field}" if loc else "^^"
        return f"ERR|{eld}^{problem.code}&{escape(code_text)}"
    erl = f"{loc.segment}^{loc.sequence}^{loc.field}" if loc else ""
    return f"ERR||{erl}|{problem.code}^{escape(code_text)}^HL70357|{problem.severity}||||{text}"


def build_ack(msh: Segment | None, code: str, problems: Sequence[Problem] = (), now: datetime | None = None) -> str:
    """The ACK for one message (MSH may be missing when the frame had none)."""
    get = (lambda f, c=1: msh.get(f, c)) if msh is not None else (lambda f, c=1: "")
    version = get(12) or "2.5"
    control_id = get(10)
    trigger = get(9, 2)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S+0000")
    # Our control id derives from theirs, so a rebuilt ACK is the same ACK.
    ack_id = "A" + hashlib.sha1(f"{get(3)}|{control_id}|{trigger}".encode()).hexdigest()[:19]
    msh_out = "|".join(
        [
            "MSH",
            "^~\\&",
            escape(get(5)) or RECEIVER,
            escape(get(6)),
            escape(get(3)),
            escape(get(4)),
            stamp,
            "",
            f"ACK^{escape(trigger)}^ACK" if trigger else "ACK",
            ack_id,
            escape(get(11)) or "P",
            escape(version),
        ]
    )
    first = problems[0] if problems else None
    msa = f"MSA|{code}|{escape(control_id)}" + (f"|{escape(first.text)}" if first else "")
    lines = [msh_out, msa, *(err_segment(p, version) for p in problems)]
    return "\r".join(lines) + "\r"


def wrap_batch(acks: list[str], headers: list[Segment], now: datetime | None = None) -> str:
    """Reply to a batch (BHS/BTS) or file (FHS/FTS) with the same envelope of ACKs."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S+0000")
    names = {h.name: h for h in headers}
    out: list[str] = []
    if "FHS" in names:
        out.append(f"FHS|^~\\&|{RECEIVER}||{escape(names['FHS'].get(3))}|{escape(names['FHS'].get(4))}|{stamp}")
    bhs = names.get("BHS")
    out.append(f"BHS|^~\\&|{RECEIVER}||{escape(bhs.get(3)) if bhs else ''}|{escape(bhs.get(4)) if bhs else ''}|{stamp}")
    body = "".join(acks)
    out_text = "\r".join(out) + "\r" + body + f"BTS|{len(acks)}\r"
    if "FHS" in names:
        out_text += "FTS|1\r"
    return out_text
