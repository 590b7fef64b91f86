"""`edflow topics create|describe`: the Kafka topics edflow publishes to.

`create` is safe to run on every start-up: existing topics are kept, and any
difference from the settings (partitions, retention) is reported; the exit
code is 1 then, so a deployment script notices.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from deploy.cli import CommandError

SHOWN_CONFIGS = ("cleanup.policy", "retention.ms", "retention.bytes", "min.insync.replicas")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "topics",
        help="create or describe the Kafka topics",
        description="Create or describe edflow's Kafka topics (names from EDFLOW_TOPIC_PREFIX).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create missing topics; report differences in existing ones",
        description=(
            "Create the event topics (kept forever) and the board topic (kept 7 days) with "
            "EDFLOW_TOPIC_PARTITIONS partitions and EDFLOW_TOPIC_REPLICATION replicas. Existing topics "
            "are left as they are; differences from the settings are printed and the exit code is 1."
        ),
    )
    create.set_defaults(func=_create)
    describe = actions.add_parser(
        "describe",
        help="show partitions, replication and retention of each topic",
        description="Show partitions, replication and retention settings of each edflow topic.",
    )
    describe.set_defaults(func=_describe)


def _run(work):
    from aiokafka.errors import KafkaError

    from base.kafka_clients import KafkaSettingsError
    from base.topics import TopicsError
    from deploy.bootstrap import load_settings

    # The admin client logs each failed connection attempt; the one-line error below says it all.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    settings = load_settings()
    try:
        return asyncio.run(work(settings))
    except KafkaSettingsError as error:
        raise CommandError(str(error)) from None
    except TopicsError as error:
        raise CommandError(f"the broker refused a topic: {error}") from None
    except KafkaError as error:
        raise CommandError(
            f"cannot reach Kafka at {settings.kafka_bootstrap} ({type(error).__name__}); "
            "start it (bash deploy/kafka.sh start) or set EDFLOW_KAFKA_BOOTSTRAP"
        ) from None


def _create(args: argparse.Namespace) -> int:
    from base.topics import create_topics

    outcomes = _run(create_topics)
    for outcome in outcomes:
        print(f"{outcome.name}: {'created' if outcome.created else 'exists'}")
        for mismatch in outcome.mismatches:
            print(f"  differs: {mismatch}")
    return 1 if any(o.mismatches for o in outcomes) else 0


def _describe(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from base.topics import describe_topics

    states = _run(describe_topics)
    table = Table("topic", "partitions", "replication", *SHOWN_CONFIGS)
    for state in states:
        if not state.exists:
            table.add_row(state.name, "missing", *[""] * (1 + len(SHOWN_CONFIGS)))
            continue
        shown = [state.configs.get(c, "") for c in SHOWN_CONFIGS]
        table.add_row(state.name, str(state.partitions), str(state.replication), *shown)
    Console().print(table)
    if not all(s.exists for s in states):
        print("some topics are missing: run `edflow topics create`")
        return 1
    return 0
