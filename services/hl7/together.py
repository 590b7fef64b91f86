"""Several HL7 messages applied in one store transaction.

A commit costs far more than a message, so messages that are ready together
are written together: the messages of an import chunk, or the frames an MLLP
peer sent before waiting for their ACKs. They are applied in order, each in
a savepoint of the shared unit of work (one that fails leaves the others
whole: its AR keeps nothing), the store is asked once which of their likely
reads exist (`services.store_probe`), and every ACK is answered only once
the transaction holding it is durable. If writing the transaction fails (it
met another writer, or the store failed), nothing of it was written and each
message is applied again in a transaction of its own, with its own answer.
"""

from __future__ import annotations

from services.hl7.intake import Intake, Prepared, frame_items, frame_reply, likely_reads
from services.hl7.senders import Peer
from services.store_probe import probe


def apply_together(intake: Intake, entries: list[Prepared | str]) -> list[str]:
    """The ACK of each entry: a routed message applied, or an answer already known (its AR)."""
    try:
        with intake.hospital.one_transaction():
            probe(
                intake.hospital,
                (i for p in entries if isinstance(p, Prepared) for i in likely_reads(p, intake.options)),
            )
            return [p if isinstance(p, str) else intake.apply(p) for p in entries]
    except Exception:
        return [p if isinstance(p, str) else intake.apply(p) for p in entries]


def handle_frames(intake: Intake, frames: list[bytes], peer: Peer | None = None) -> list[bytes]:
    """The replies to frames read ahead on one connection, in order (as
    `Intake.handle_frame` would give them one by one)."""
    if len(frames) <= 1:
        return [intake.handle_frame(raw, peer) for raw in frames]
    peer = peer or Peer()
    read = [frame_items(raw) for raw in frames]
    prepared = [[intake.prepare(item, peer) for item in items] for _, items in read]
    acks = iter(apply_together(intake, [p for group in prepared for p in group]))
    return [
        frame_reply(headers, [next(acks) for _ in group]) for (headers, _), group in zip(read, prepared, strict=True)
    ]
