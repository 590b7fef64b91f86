"""`edflow token`: mint a bearer token signed with this site's shared secret."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from base.auth import ROLES

    parser = subparsers.add_parser(
        "token",
        help="print a bearer token for the HTTP API",
        description="Print a JWT for the HTTP API, signed with EDFLOW_JWT_SECRET (or the secret generated "
        "under EDFLOW_DATA_DIR). The server must use the same secret.",
    )
    parser.add_argument("--sub", required=True, help="who the token is for (user or feed id); recorded on every event")
    parser.add_argument("--role", required=True, help=f"one of: {', '.join(ROLES)}")
    parser.add_argument(
        "--facility",
        action="append",
        required=True,
        help="facility id the token may act for; repeat for more; '*' for all",
    )
    parser.add_argument(
        "--ttl",
        type=int,
        help="lifetime in seconds (default: 8 hours; at most EDFLOW_JWT_MAX_LIFETIME_SECONDS, 12 hours unless set)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from base.auth import mint_token
    from deploy.bootstrap import load_settings
    from deploy.cli import CommandError

    settings = load_settings()
    if settings.jwt_jwks_url:
        raise CommandError("EDFLOW_JWT_JWKS_URL is set: tokens come from the identity provider, not from edflow")
    try:
        print(mint_token(settings, args.sub, args.role, args.facility, ttl_seconds=args.ttl))
    except ValueError as error:
        raise CommandError(str(error)) from None
    return 0
