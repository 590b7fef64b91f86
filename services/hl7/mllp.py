"""MLLP over TCP (optionally TLS): 0x0B message 0x1C 0x0D, one ACK per frame.

The listener only frames bytes and hands them to `Intake` on a worker thread
(Hospital commands are synchronous). Frames on one connection are applied in
order and answered in order, so a feed's A04 is always applied before its
A03. A peer that sends frames before waiting for their ACKs (pipelining) has
the frames read meanwhile applied together in one store transaction. Why this is
not `hl7.mllp`'s stream reader, with measurements: README.md.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from services.hl7.ack import build_ack
from services.hl7.intake import Intake
from services.hl7.parse import Segment, decode_text, separators_of, split_segments
from services.hl7.problems import APPLICATION_ERROR, Problem
from services.hl7.senders import Peer
from services.hl7.together import handle_frames

START, END, CR = b"\x0b", b"\x1c", b"\x0d"
READ_CHUNK = 65536
# Frames read ahead of the one being applied; at most this many go in one transaction.
READ_AHEAD = 64
log = logging.getLogger("edflow.mllp")


class FrameReader:
    """Bytes in, frames out. Bytes outside a frame are dropped (line noise,
    keep-alives); a frame over `max_bytes` is reported once and skipped to its
    end; a frame cut short by a new start byte is reported as abandoned."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.in_frame = False
        self.skipping = False

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        self.buffer += data
        while True:
            if not self.in_frame:
                start = self.buffer.find(START)
                if start < 0:
                    self.buffer.clear()
                    return out
                del self.buffer[: start + 1]
                self.in_frame, self.skipping = True, False
            end, restart = self.buffer.find(END), self.buffer.find(START)
            if restart >= 0 and (end < 0 or restart < end):
                if not self.skipping:
                    out.append(("abandoned", bytes(self.buffer[:restart])))
                del self.buffer[:restart]
                self.in_frame = False
                continue
            if end < 0:
                if self.skipping:
                    self.buffer.clear()
                elif len(self.buffer) > self.max_bytes:
                    out.append(("oversized", bytes(self.buffer[:4096])))
                    self.buffer.clear()
                    self.skipping = True
                return out
            body = bytes(self.buffer[:end])
            del self.buffer[: end + (2 if self.buffer[end + 1 : end + 2] == CR else 1)]
            self.in_frame = False
            if self.skipping:
                self.skipping = False
            elif len(body) > self.max_bytes:
                out.append(("oversized", body[:4096]))
            else:
                out.append(("frame", body))


def refusal(kind: str, head: bytes, max_bytes: int) -> bytes:
    """AR for a frame we could not take whole, naming its MSH-10 when readable."""
    lines = split_segments(decode_text(head))
    msh = Segment(lines[0], separators_of(lines[0])) if lines and lines[0].startswith("MSH") else None
    if kind == "oversized":
        text = f"frame exceeds {max_bytes} bytes; split the batch or raise EDFLOW_MLLP_MAX_FRAME_BYTES"
    else:
        text = "frame ended without 0x1C 0x0D before the next frame started; resend it"
    return build_ack(msh, "AR", [Problem(text, None, APPLICATION_ERROR)]).encode()


def server_tls(certfile: str, keyfile: str, client_cafile: str | None = None) -> ssl.SSLContext:
    """The listener's TLS context. With `client_cafile`, mutual TLS: a client
    must present a certificate signed by that CA, and only by that CA (the
    system's public CAs are not trusted for clients)."""
    if client_cafile is None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_verify_locations(cafile=client_cafile)
        context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(certfile, keyfile)
    return context


class MllpListener:
    def __init__(self, intake: Intake, host: str, port: int, max_frame_bytes: int, tls: ssl.SSLContext | None = None):
        self.intake, self.host, self.port = intake, host, port
        self.max_frame_bytes, self.tls = max_frame_bytes, tls
        self.server: asyncio.AbstractServer | None = None
        self.connections: set[asyncio.Task] = set()

    async def start(self) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._serve, self.host, self.port, ssl=self.tls)
        host, port = self.server.sockets[0].getsockname()[:2]
        return host, port

    async def close(self) -> None:
        """Stop listening and end open connections. A message already handed to
        a worker thread still completes; its ACK may not reach the peer."""
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frames = FrameReader(self.max_frame_bytes)
        peer = writer.get_extra_info("peername")
        # The client certificate the TLS layer verified, if it asked for one.
        proven = Peer.of(writer.get_extra_info("ssl_object"))
        task = asyncio.current_task()
        if task is not None:
            self.connections.add(task)
        read: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue(READ_AHEAD)
        answering = asyncio.create_task(self._answer(read, writer, proven, peer))
        try:
            while data := await reader.read(READ_CHUNK):
                for item in frames.feed(data):
                    await read.put(item)
            await read.put(None)
            await answering  # what was read whole is applied and answered
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            # The peer went away; whatever it sent whole is applied and kept.
            log.info("mllp peer %s left mid-conversation", peer)
            await read.put(None)
            await answering
        finally:
            answering.cancel()  # when the listener closes: frames not yet applied are dropped
            if task is not None:
                self.connections.discard(task)
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, ssl.SSLError):
                pass

    async def _answer(
        self, read: asyncio.Queue[tuple[str, bytes] | None], writer: asyncio.StreamWriter, proven: Peer, peer: object
    ) -> None:
        """Applies the frames read, in order, and writes their replies in order.
        Frames that arrived while the previous ones were applied are applied
        together, in one store transaction (`together.py`)."""
        writing, ended = True, False
        while not ended and (item := await read.get()) is not None:
            group = [item]
            while len(group) < READ_AHEAD and not read.empty():
                more = read.get_nowait()
                if more is None:
                    ended = True
                    break
                group.append(more)
            if not writing:  # the peer is gone: what it sends now is not applied
                continue
            replies = await asyncio.to_thread(self._replies, group, proven, peer)
            try:
                for reply in replies:
                    writer.write(START + reply + END + CR)
                await writer.drain()
            except (ConnectionError, ssl.SSLError):
                log.info("mllp peer %s left before its acknowledgements", peer)
                writing = False

    def _replies(self, group: list[tuple[str, bytes]], proven: Peer, peer: object) -> list[bytes]:
        applied = iter(handle_frames(self.intake, [body for kind, body in group if kind == "frame"], proven))
        replies = []
        for kind, body in group:
            if kind == "frame":
                replies.append(next(applied))
            else:
                log.info("mllp %s from %s", kind, peer)
                replies.append(refusal(kind, body, self.max_frame_bytes))
        return replies
