"""One module per `edflow` subcommand; see deploy/cli.py."""
