"""The `edflow` command. Each subcommand lives in its own module under
`deploy/commands/` and exposes `register(subparsers)`; the module's parser
sets `func(args) -> int`."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import deploy.commands
from base.private_files import use_private_umask


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edflow",
        description="edflow: event-sourced emergency-department and patient-flow tracking.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(deploy.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"deploy.commands.{module_info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Everything edflow writes (store, secret, tables, outboxes) is patient
    # data or guards it: owner-only, whatever umask the process was given.
    use_private_umask()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CommandError as error:
        print(f"edflow {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Run through the package module, so commands and this entry point share
    # one CommandError class.
    from deploy.cli import main as package_main

    sys.exit(package_main())
