"""`edflow serve`: the command API (and dashboard) over HTTP with uvicorn."""

from __future__ import annotations

import argparse

# Board frames are encoded once for every client; per-message deflate
# would compress each copy again, per client (measured: ~15-20 us
# per message per client).
PER_MESSAGE_DEFLATE = False


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP API and dashboard",
        description="Run the HTTP command API and the dashboard with uvicorn "
        "(API docs at /docs with EDFLOW_API_DOCS=true). Host and port default to EDFLOW_HTTP_HOST / EDFLOW_HTTP_PORT.",
    )
    parser.add_argument("--host", help="interface to listen on (default: EDFLOW_HTTP_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="TCP port (default: EDFLOW_HTTP_PORT, 8000)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn
    from eventsourcing.persistence import PersistenceError

    from deploy.bootstrap import load_settings
    from deploy.cli import CommandError
    from deploy.http_log import AccessLog, log_config
    from deploy.server import build_app
    from services.audit.keys import AuditConfigError

    overrides = {}
    if args.host:
        overrides["http_host"] = args.host
    if args.port is not None:
        overrides["http_port"] = args.port
    settings = load_settings(**overrides)
    _check_port_free(settings.http_host, settings.http_port)
    try:
        app = build_app(settings)
    except (PersistenceError, OSError) as error:
        raise CommandError(f"cannot open the {settings.event_store} event store: {error}") from None
    except AuditConfigError as error:
        raise CommandError(str(error)) from None
    except ValueError as error:  # e.g. a generated signing secret too short to use
        raise CommandError(str(error)) from None
    tls = _tls_options(settings)
    config = uvicorn.Config(
        # Our access log: route templates, no query strings (no patient data).
        AccessLog(app),
        host=settings.http_host,
        port=settings.http_port,
        log_level=args.log_level,
        log_config=log_config(args.log_level),
        access_log=False,
        proxy_headers=True,
        ws_per_message_deflate=PER_MESSAGE_DEFLATE,
        **tls,
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


def _tls_options(settings) -> dict:
    from deploy.cli import CommandError

    cert, key = settings.http_tls_certfile, settings.http_tls_keyfile
    if cert is None and key is None:
        return {}
    if cert is None or key is None:
        raise CommandError("set both EDFLOW_HTTP_TLS_CERTFILE and EDFLOW_HTTP_TLS_KEYFILE, or neither")
    for path in (cert, key):
        if not path.is_file():
            raise CommandError(f"TLS file not found: {path}")
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


def _check_port_free(host: str, port: int) -> None:
    """A taken port is a one-line error, not a log line and exit code 1."""
    import socket

    from deploy.cli import CommandError

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}; choose another --port") from None
