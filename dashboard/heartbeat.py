"""One watchdog for every board client of the process: pings each client
every `ping_seconds`, drops one that has been silent for `silent_seconds`
or stuck writing one frame for `send_timeout_seconds`, and closes the
connection of a client whose token has expired. One task for all
clients, rather than a timer per client or per frame."""

from __future__ import annotations

import asyncio
import time

from dashboard.fanout import Fanout
from dashboard.protocol import Ping, encode_frame


async def watch(fanout: Fanout) -> None:
    tuning = fanout.tuning
    tick = min(1.0, tuning.ping_seconds / 2, tuning.send_timeout_seconds / 2)
    while True:
        await asyncio.sleep(tick)
        now, wall = time.monotonic(), time.time()
        ping = None
        for sub in list(fanout.connected):
            if sub.drop_reason is not None:
                continue
            if wall >= sub.token_expires_at:
                sub.drop("token expired", close_code=1008)  # sign in again; no more board for this token
            elif sub.sending_since is not None and now - sub.sending_since > tuning.send_timeout_seconds:
                sub.drop("not reading: a frame could not be sent in time")
            elif now - sub.last_heard > tuning.silent_seconds:
                sub.drop("no heartbeat from the client")
            elif now - sub.last_pinged >= tuning.ping_seconds:
                ping = ping or encode_frame(Ping(t=time.time()))
                sub.last_pinged = now
                sub.offer(ping)
            if sub.drop_reason is not None:
                fanout.unsubscribe(sub)
