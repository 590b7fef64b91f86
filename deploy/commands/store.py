"""`edflow store copy`: move an SQLite event store into PostgreSQL, hash chain intact."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("store", help="move the event store from SQLite to PostgreSQL")
    actions = parser.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy",
        help="copy an SQLite event store into an empty PostgreSQL database, then verify the chain on both",
        description=(
            "Copy every stored event (in log order, under its own position), every chain link and the relay's "
            "tracked position from an SQLite store into an empty PostgreSQL database, in one transaction. "
            "The source's chain is verified first (a store that is not intact is not copied), the target's "
            "after; both must end at the same head link with the same number of events. Stored events are "
            "copied byte for byte: an encrypted store stays encrypted under the same EDFLOW_CIPHER_KEY. "
            "Stop every edflow process that writes to the source first. The chain key and checkpoints are "
            "those of the source's data directory (its -audit directory beside it); keep them."
        ),
    )
    copy.add_argument(
        "--from",
        dest="source",
        metavar="PATH",
        help="the SQLite store: its data directory or its events.sqlite file, optionally written "
        "sqlite:PATH (default: EDFLOW_DATA_DIR)",
    )
    copy.add_argument(
        "--to",
        dest="target",
        metavar="DSN",
        help="the empty PostgreSQL database, postgresql://user:password@host:port/database "
        "(default: EDFLOW_POSTGRES_DSN)",
    )
    copy.set_defaults(func=run_copy)


def run_copy(args) -> int:
    from deploy.store_copy import copy_answer

    return copy_answer(args.source, args.target)
