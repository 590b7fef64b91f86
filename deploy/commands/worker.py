"""`edflow worker`: the live projection worker (faust-streaming)."""

from __future__ import annotations

import argparse

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
    from deploy.bootstrap import load_settings
    from services.kafka_clients import KafkaSettingsError, connection_options

    settings = load_settings()
    try:
        connection_options(settings)
    except KafkaSettingsError as error:
        raise CommandError(str(error)) from None
    import faust

    from projections.worker import create_app

    app = create_app(settings, web=args.web)
    worker = faust.Worker(app, loglevel=args.loglevel, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0
