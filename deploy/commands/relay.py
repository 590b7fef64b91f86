"""`edflow relay`: publish the event store's log to Kafka, in order.

Runs until SIGTERM/SIGINT (the batch in flight is finished and recorded
first); a second signal stops at once, which is safe too: the relay only ever
repeats unrecorded batches. `--once` drains the log and exits. Of several
relays on one store only the holder of the relay lock publishes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import time

from deploy.cli import CommandError

SUMMARY_EVERY_SECONDS = 10.0
log = logging.getLogger("edflow.relay")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "relay",
        help="publish recorded events to Kafka (the outbox relay)",
        description=(
            "Follow the event store's notification log and publish every event to its Kafka topic, "
            "keyed by facility. Progress is recorded in the store after the broker acknowledges each "
            "batch, so a restart repeats at most one batch and never skips. It also appends a signed "
            "checkpoint of the hash chain to EDFLOW_CHECKPOINT_FILE every EDFLOW_CHECKPOINT_EVERY_EVENTS "
            "positions or EDFLOW_CHECKPOINT_EVERY_MINUTES, and when it stops. Several relays may run on one "
            "store: one publishes (it holds a PostgreSQL advisory lock, or a file lock beside the SQLite "
            "store) and the others stand by, taking over within EDFLOW_RELAY_STANDBY_SECONDS of it dying; "
            "--once exits at once if another relay publishes. Configured by EDFLOW_* "
            "variables (EDFLOW_KAFKA_BOOTSTRAP, EDFLOW_EVENT_STORE, EDFLOW_RELAY_BATCH, ...)."
        ),
    )
    parser.add_argument("--once", action="store_true", help="publish everything recorded so far, then exit")
    parser.add_argument("--verbose", action="store_true", help="log every batch and the Kafka client's own messages")
    parser.set_defaults(func=_relay)


def _relay(args: argparse.Namespace) -> int:
    from eventsourcing.persistence import PersistenceError

    from base.kafka_clients import KafkaSettingsError, connection_options
    from deploy.bootstrap import hospital, load_settings
    from services.audit.keys import AuditConfigError
    from services.relay import RelayBusy, RelayHalted

    level = logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The relay reports connection failures once per retry itself. The client's
    # debug output is never shown: at that level it may describe record contents.
    logging.getLogger("aiokafka").setLevel(logging.WARNING if args.verbose else logging.CRITICAL)
    settings = load_settings()
    try:
        connection_options(settings)
    except KafkaSettingsError as error:
        raise CommandError(str(error)) from None
    try:
        app = hospital(settings)
    except PersistenceError as error:
        raise CommandError(
            f"cannot open the {settings.event_store} event store ({type(error).__name__}); "
            "check EDFLOW_EVENT_STORE and EDFLOW_DATA_DIR or EDFLOW_POSTGRES_DSN"
        ) from None
    try:
        start, progress = asyncio.run(_run(app, settings, args.once))
    except RelayHalted as error:
        raise CommandError(f"stopped without skipping: {error}") from None
    except RelayBusy as error:
        raise CommandError(f"{error}; it publishes everything recorded") from None
    except AuditConfigError as error:
        raise CommandError(str(error)) from None
    finally:
        app.close()
    print(
        f"relayed {progress.published} events ({progress.internal} internal records passed) "
        f"up to position {progress.position or start}"
    )
    return 0


async def _run(app, settings, once: bool):
    from services.relay import run_relay, tracked_position

    stop = asyncio.Event()
    main = asyncio.current_task()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            if main is not None:
                main.cancel()
            return
        log.info("%s received: finishing the batch in flight", signal.Signals(signum).name)
        stop.set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    start = await asyncio.to_thread(tracked_position, app)
    latest = await asyncio.to_thread(app.recorder.max_notification_id) or 0
    log.info("relaying from position %d (store at %d) to Kafka at %s", start, latest, settings.kafka_bootstrap)
    report = _ProgressBar(start, latest) if once and latest > start else _Summary()
    try:
        with report:
            return start, await run_relay(app, settings, stop, once=once, on_batch=report.update)
    except asyncio.CancelledError:
        log.info("stopped at once; the unrecorded batch will be sent again")
        raise KeyboardInterrupt from None


class _Summary:
    """One log line every few seconds while events flow: counts and positions only."""

    def __init__(self):
        self.last = time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, progress) -> None:
        now = time.monotonic()
        if now - self.last >= SUMMARY_EVERY_SECONDS:
            self.last = now
            log.info("published %d events so far, at position %d", progress.published, progress.position)


class _ProgressBar:
    def __init__(self, start: int, latest: int):
        from rich.progress import Progress

        self.start = start
        self.bar = Progress(transient=False)
        self.task = self.bar.add_task("relaying", total=max(latest - start, 0))

    def __enter__(self):
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def update(self, progress) -> None:
        done = progress.position - self.start
        self.bar.update(self.task, completed=done, total=max(done, self.bar.tasks[0].total or 0))
