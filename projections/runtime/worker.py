"""The live projection worker (faust-streaming).

One agent folds the ED and access event topics (keyed, so co-partitioned, by
facility id) into one table of fine-grained entries with the pure reducers of
`projections.fold`, and publishes each facility's board as numbered deltas and
periodic snapshots. Everything is built in `create_app`; nothing connects at
import.

The agent takes records in batches (`BATCH`), and folds each partition's
event records of a batch together (`LiveFold.on_event_records`): a backlog
costs one write per changed entry and one board message per facility and
run, not per event; faust acknowledges a batch's records once it is folded.
At-least-once: a redelivered event is dropped by the fold's watermark, so it
changes nothing and publishes nothing. faust's exactly-once mode is not used
(it has open duplicate/loss bugs in 0.15). What makes a SIGKILL safe:
`table_state` (rebuild tables from changelogs after a crash), `changelog_flush`
(commit offsets only after table writes are out), `first_start` (read
never-committed partitions from the start), `board_tail` (number on after the
last published seq), the cursor's pending writes (`live_fold`) and
`offset_guard` (fold each partition in offset order without a hole, commit
nothing past it, whatever faust hands over around a rebalance).
"""

from __future__ import annotations

import logging
import uuid
import weakref
from pathlib import Path
from typing import Any, TypedDict

from base.private_files import private_dir, private_file
from base.settings import Settings
from projections.profile import facility_profiles
from projections.runtime.board_clock import BoardClock
from projections.runtime.board_tail import last_published_seqs
from projections.runtime.changelog_flush import flush_fully_before_commit
from projections.runtime.first_start import rewind_uncommitted
from projections.runtime.live_fold import LiveFold, Place
from projections.runtime.offset_guard import install as install_offset_guard
from projections.runtime.topics import changelog_topic

log = logging.getLogger("edflow.worker")
# The agent takes records in batches of up to BATCH, waiting at most
# BATCH_WAIT seconds for one to fill: a quiet board waits no longer than that.
BATCH = 1000
BATCH_WAIT = 0.01


class Serializers(TypedDict):
    key_serializer: str
    value_serializer: str


# Keys and values pass through faust as the bytes they are.
RAW: Serializers = {"key_serializer": "raw", "value_serializer": "raw"}


def broker_credentials(settings: Settings) -> Any:
    """faust's form of the TLS/SASL options every edflow Kafka client uses."""
    import faust

    from base.kafka_clients import connection_options

    options = connection_options(settings)
    context = options.get("ssl_context")
    if "sasl_mechanism" in options:
        return faust.SASLCredentials(
            username=options["sasl_plain_username"],
            password=options["sasl_plain_password"],
            mechanism=options["sasl_mechanism"],
            ssl_context=context,
        )
    return faust.SSLCredentials(context) if context else None


def writing_for(event: Any) -> None:
    """Table writes from here on go to `event`'s partition (faust reads the
    partition of a write from the event being processed, which a batch
    taken by `take_events` does not set in the agent's task)."""
    from faust.streams import _current_event

    _current_event.set(weakref.ref(event))


def instance_id(datadir: Path) -> str:
    """This worker's static member id in the consumer group, kept in its
    tables' directory: a worker restarted after a crash takes its partitions
    straight back instead of waiting for the group to time the dead one out.
    Unique per data directory, which one worker at a time can hold."""
    path = datadir / "group-instance-id"
    if not path.exists() or not path.read_text().strip():
        private_file(path).write_text(f"edflow-worker-{uuid.uuid4()}")
    return path.read_text().strip()


def create_app(settings: Settings, fold: Any = None, web: bool = False) -> Any:
    import faust
    import mode

    if fold is None:
        from projections import fold
    topics = settings.topics
    datadir = private_dir(private_dir(settings.data_dir) / "worker")

    # --- app ------------------------------------------------------------------
    app = faust.App(
        settings.worker_id,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")],
        broker_credentials=broker_credentials(settings),
        processing_guarantee="at_least_once",
        producer_acks=-1,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        store="rocksdb://" if settings.table_store == "rocksdb" else "memory://",
        datadir=datadir,
        consumer_auto_offset_reset="earliest",
        web_enabled=web,
        web_port=settings.worker_web_port,
        autodiscover=False,
        # A dead worker's facilities get a new owner (and their boards move
        # on) after this long, not after faust's default minute.
        broker_session_timeout=10.0,
        consumer_group_instance_id=instance_id(datadir),
        broker_heartbeat_interval=3.0,
        # Offsets committed every second (faust: 2.8 s): a restarted worker
        # reads less again, and a backlog's lag is seen to fall sooner.
        broker_commit_interval=1.0,
        # A batch's changelog writes go out in few produce requests (faust:
        # 16 KiB, so a day bucket of a few KiB was nearly a request of its
        # own); under the broker's 1 MiB message limit.
        producer_max_batch_size=512 * 1024,
        # Room for several take batches, so the fetcher is not paused while
        # one is folded.
        stream_buffer_maxsize=BATCH * 8,
        # An agent that fails stops the worker, so the event is retried after
        # a restart instead of being skipped by a restarted agent. An event
        # the fold cannot apply does not fail it: it is dead-lettered
        # (`live_fold`); what still fails is the broker or the tables.
        agent_supervisor=mode.CrashingSupervisor,
    )

    flush_fully_before_commit(app)
    event_topics = (topics.ed, topics.access)
    guard = install_offset_guard(app, event_topics)

    # --- topics ---------------------------------------------------------------
    sources = app.topic(
        topics.ed,
        topics.access,
        settings.topics.board_requests,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.topic_partitions,
        replicas=settings.topic_replication,
        **RAW,
    )
    board = app.topic(
        topics.board,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.topic_partitions,
        replicas=settings.topic_replication,
        **RAW,
    )
    requests = app.topic(settings.topics.board_requests, key_type=bytes, value_type=bytes, **RAW)
    deadletter = app.topic(topics.deadletter, key_type=bytes, value_type=bytes, **RAW)

    # --- tables ---------------------------------------------------------------
    def table(name: str, help: str) -> Any:
        changelog = app.topic(
            changelog_topic(settings, name),
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topic_partitions,
            replicas=settings.topic_replication,
            compacting=True,
            deleting=False,
            internal=True,
            **RAW,
        )
        # bytes keys and values: stored and logged exactly as given (raw), so
        # RocksDB keeps a facility's keys in one sorted range.
        return app.Table(
            name,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topic_partitions,
            changelog_topic=changelog,
            help=help,
        )

    entries = table("entries", "Fold entries (encounter, bed, facility, day, ...) and board cursors, by key.")
    facilities = table("facilities", "Facilities seen, so a start can snapshot each one.")
    live = LiveFold(
        fold,
        entries,
        facilities,
        board,
        streams={topics.ed: "ed", topics.access: "access"},
        snapshot_every=settings.board_snapshot_every,
        profile_for=facility_profiles(settings),
        deadletter_topic=deadletter,
    )
    clock = BoardClock(live, settings.board_refresh_seconds)
    clock.install(app, requests, topics.ed)

    # --- agents ---------------------------------------------------------------
    @app.agent(sources, name="project")
    async def project(stream: Any) -> None:
        # Events are acknowledged (so committed) only after their batch is folded.
        async for batch in stream.take_events(BATCH, within=BATCH_WAIT):
            await fold_batch(batch)

    async def fold_batch(batch: list[Any]) -> None:
        """Event records gather per partition, in order, and fold together;
        a tick or a snapshot request first folds everything before it."""
        runs: dict[int, list[Any]] = {}
        for event in batch:
            message = event.message
            if message.topic not in event_topics:
                if not guard.owns(message.partition):
                    continue  # taken before a rebalance; the facilities' new owner answers
                await fold_runs(runs)
                writing_for(event)
                if clock.is_tick(message.key):
                    await clock.on_tick(message.partition)
                else:
                    await live.publish_snapshots(message.partition, message.value.decode() if message.value else None)
            elif await guard.admit(message.topic, message.partition, message.offset):
                runs.setdefault(message.partition, []).append(event)
        await fold_runs(runs)

    async def fold_runs(runs: dict[int, list[Any]]) -> None:
        for events in runs.values():
            writing_for(events[-1])
            places = [Place(e.message.topic, e.message.partition, e.message.offset) for e in events]
            await live.on_event_records([(place, e.message.value) for place, e in zip(places, events, strict=True)])
            for place in places:
                guard.folded(*place)
        runs.clear()

    @entries.on_recover
    async def resume_after_recovery() -> None:
        # Tables are recovered; streams resume after this returns. faust
        # only logs a failure here, so a failure stops the worker instead.
        try:
            await start_streams_and_snapshots()
        except Exception as error:
            log.exception("could not resume after table recovery")
            await app.crash(error)

    async def start_streams_and_snapshots() -> None:
        assigned = app.consumer.assignment()
        guard.reset(await rewind_uncommitted(app, settings, [tp for tp in assigned if tp.topic in sources.topics]))
        # Every facility of every partition we own gets a snapshot, so late
        # or out-of-sync board consumers can rebuild.
        owned = sorted(tp.partition for tp in assigned if tp.topic == topics.ed)
        live.on_rebalance(await last_published_seqs(settings, live.owned_facilities(set(owned))))
        log.info("tables recovered; requesting board snapshots for partitions %s", owned)
        for partition in owned:
            await requests.send(value=b"", partition=partition)

    # --- timers ---------------------------------------------------------------
    @app.timer(interval=1.0)
    async def reread_skipped_records() -> None:
        await guard.recheck()

    reported: dict[str, int] = {}

    @app.timer(interval=1.0)
    async def report_progress() -> None:
        counts = dict(live.counts)
        if counts != reported:
            reported.clear()
            reported.update(counts)
            log.info(
                "projected events=%d unchanged=%d rejected=%d deltas=%d snapshots=%d dead-lettered=%d",
                *(counts.get(k, 0) for k in ("events", "unchanged", "rejected", "delta", "snapshot", "dead")),
            )

    return app
