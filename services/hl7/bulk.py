"""Bulk HL7 import: files of messages applied in order through the MLLP intake.

A file may hold MLLP frames (0x0B ... 0x1C 0x0D, as an interface engine
dumps its queue), batch and file envelopes (FHS/BHS ... BTS/FTS), or
messages one after another. Every message goes through `Intake.reply`, the
same path as a message arriving over MLLP: the same checks, the same
dedupe by (sender, control id, type) and the same ACK, kept in the store.
Each message gets one `Result`, read from its ACK. Messages are written
`PER_TRANSACTION` to a store transaction (`together.py`: each message a
savepoint, one that fails to apply leaves the others whole).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from services.hl7.intake import Intake, Item, Prepared, frame_items
from services.hl7.mllp import START, FrameReader, refusal
from services.hl7.parse import Segment, separators_of
from services.hl7.senders import Peer
from services.hl7.together import apply_together

# Messages written in one store transaction: a commit costs far more than a message.
PER_TRANSACTION = 100


@dataclass(frozen=True)
class Refused:
    """A frame that could not be read whole (cut short by the next frame or the end of the file)."""

    kind: str
    head: bytes


Entry = Item | Refused


@dataclass(frozen=True)
class Result:
    position: int  # 1-based, across all files, in the order applied
    source: str
    control_id: str
    message_type: str
    code: str  # AA, AE or AR
    reason: str

    def line(self) -> str:
        """One tab-separated report line (no tabs or line breaks inside fields)."""
        fields = (str(self.position), self.source, self.control_id, self.message_type, self.code, self.reason)
        return "\t".join(" ".join(f.split()) if f else "-" for f in fields)


def entries(data: bytes) -> list[Entry]:
    """The messages of one file, in order."""
    if START not in data:
        return list(frame_items(data)[1])
    out: list[Entry] = []
    reader = FrameReader(max_bytes=len(data) + 1)
    for kind, body in reader.feed(data):
        if kind == "frame":
            out.extend(frame_items(body)[1])
        else:
            out.append(Refused(kind, body))
    if reader.in_frame and bytes(reader.buffer).strip():
        out.append(Refused("abandoned", bytes(reader.buffer[:4096])))
    return out


def apply(
    intake: Intake, files: Iterable[tuple[str, list[Entry]]], per_transaction: int = PER_TRANSACTION
) -> Iterator[Result]:
    """Apply every message of every file in order; yield each one's result
    once the transaction holding it is durable."""
    position, chunk = 0, []
    for source, items in files:
        for item in items:
            position += 1
            chunk.append((position, source, item))
            if len(chunk) >= per_transaction:
                yield from _apply_together(intake, chunk)
                chunk = []
    yield from _apply_together(intake, chunk)


def _apply_together(intake: Intake, chunk: list[tuple[int, str, Entry]]) -> Iterator[Result]:
    acks = apply_together(intake, [_prepare(intake, item) for _, _, item in chunk])
    for (position, source, item), ack in zip(chunk, acks, strict=True):
        yield _result(position, source, _message_type(item), ack)


def _prepare(intake: Intake, item: Entry) -> Prepared | str:
    if isinstance(item, Refused):
        return refusal(item.kind, item.head, len(item.head) + 1).decode()
    return intake.prepare(item, Peer())


def _message_type(item: Entry) -> str:
    if isinstance(item, Refused | str):
        return ""
    msh = Segment(item[0], separators_of(item[0]))
    return "^".join(part for part in (msh.get(9, 1), msh.get(9, 2)) if part)


def _result(position: int, source: str, message_type: str, ack: str) -> Result:
    msa = next((line for line in ack.split("\r") if line.startswith("MSA|")), "MSA|AR")
    fields = msa.split("|")
    field = lambda n: fields[n] if len(fields) > n else ""  # noqa: E731
    return Result(position, source, field(2), message_type, field(1), field(3))
