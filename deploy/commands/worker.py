"""`edflow worker`: the live projection worker (faust-streaming)."""

from __future__ import annotations

import argparse
import logging

from deploy.cli import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="fold events into the live board and publish the board stream",
        description=(
            "Consume the ED and access event topics, fold them into the projection tables "
            "(RocksDB under EDFLOW_DATA_DIR/worker, or memory with EDFLOW_TABLE_STORE=memory) and "
            "publish each facility's board as numbered deltas and snapshots to the board topic. "
            "Run `edflow topics create` first. Consumer group and table names come from "
            "EDFLOW_WORKER_ID; run more workers with the same id to share the partitions. "
            "Stops cleanly on Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument(
        "--loglevel", default="info", choices=["debug", "info", "warning", "error"], help="log level (default: info)"
    )
    parser.add_argument(
        "--web", action="store_true", help="serve faust's status pages on EDFLOW_WORKER_WEB_PORT (default: off)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from base.kafka_clients import KafkaSettingsError, connection_options
    from deploy.bootstrap import load_settings

    settings = load_settings()
    try:
        connection_options(settings)
    except KafkaSettingsError as error:
        raise CommandError(str(error)) from None
    import asyncio

    import faust
    from aiokafka.errors import KafkaError

    from base.facility import FacilityError
    from projections.runtime.table_state import discard_unless_stopped_cleanly, mark_stopped_cleanly
    from projections.runtime.topics import WorkerTopicsError, prepare_worker_topics
    from projections.runtime.worker import create_app

    # The admin client logs each failed connection attempt; the one-line error below says it all.
    aiokafka_log = logging.getLogger("aiokafka")
    aiokafka_log.setLevel(logging.CRITICAL)
    try:
        asyncio.run(prepare_worker_topics(settings))
    except WorkerTopicsError as error:
        raise CommandError(str(error)) from None
    except KafkaError as error:
        raise CommandError(
            f"cannot reach Kafka at {settings.kafka_bootstrap} ({type(error).__name__}); "
            "start it (bash deploy/kafka.sh start) or set EDFLOW_KAFKA_BOOTSTRAP"
        ) from None
    finally:
        aiokafka_log.setLevel(logging.NOTSET)

    try:
        app = create_app(settings, web=args.web)
    except FacilityError as error:
        raise CommandError(f"EDFLOW_FACILITY_CONFIG: {error}") from None
    datadir = settings.data_dir / "worker"
    discard_unless_stopped_cleanly(datadir, app.conf.tabledir)
    worker = faust.Worker(app, loglevel=args.loglevel, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        code = int(stop.code or 0)
    else:
        code = 0
    if code == 0 and getattr(app, "crash_reason", None) is None:
        mark_stopped_cleanly(datadir)
    return code
