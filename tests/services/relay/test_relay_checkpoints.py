"""`edflow relay` takes signed checkpoints of the hash chain on its own, at
the positions it has relayed, on both stores."""

from __future__ import annotations

import asyncio

from events.catalogue import Person
from services.audit import checkpoints
from services.audit.keys import checkpoint_path
from services.audit.verify import verify
from services.hospital import Hospital
from services.relay import run_relay
from tests.services.relay.kafka_harness import with_topics


def test_the_relay_checkpoints_every_n_events_and_when_it_stops(relay_settings, clock):
    settings = with_topics(relay_settings.model_copy(update={"relay_batch": 2, "checkpoint_every_events": 3}))
    app = Hospital(settings)
    try:
        for n in range(8):
            app.arrive(clock.meta(role="intake"), f"V{n}", Person(family_name=f"Name{n}", sex="F"))
        asyncio.run(run_relay(app, settings, asyncio.Event(), once=True))
        known = checkpoints.load(checkpoint_path(settings))
        # The writer marks where the keyed chain starts; the relay, after
        # batches of two, checkpoints once three positions have passed, and
        # at the end of what it relayed.
        assert [(c.position, c.by) for c in known] == [(1, "chain start"), (4, "relay"), (8, "relay")]
        assert all(c.signed for c in known)
        assert verify(app, known).intact
    finally:
        app.close()
