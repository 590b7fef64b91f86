"""`edflow mllp`: receive HL7 v2 ADT and SIU over MLLP into the event store."""

from __future__ import annotations

import asyncio
import logging
import ssl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FACILITY_FIELDS = {"MSH-4": 4, "MSH-6": 6}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "mllp",
        help="listen for HL7 v2 ADT/SIU messages over MLLP and apply them",
        description="Listen for HL7 v2 ADT (A01-A04, A08, A11-A13) and SIU (S12-S15, S26) messages over MLLP, "
        "record them as edflow events and answer each with an ACK (AA/AE/AR). Only the senders listed in the "
        "facility file's [[hl7_senders]] (EDFLOW_FACILITY_CONFIG) are accepted, each for the facilities it may write. "
        "Field mapping: services/hl7/MAPPING.md.",
    )
    parser.add_argument("--host", help="address to listen on (default: EDFLOW_MLLP_HOST)")
    parser.add_argument("--port", type=int, help="TCP port (default: EDFLOW_MLLP_PORT; 0 picks a free port)")
    add_feed_arguments(parser)
    parser.add_argument(
        "--tls-cert", help="PEM certificate: serve MLLP over TLS (needs --tls-key; default EDFLOW_MLLP_TLS_CERTFILE)"
    )
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument(
        "--tls-client-ca",
        help="PEM CA certificate(s): require every client to present a certificate they signed "
        "(mutual TLS; needs --tls-cert; default EDFLOW_MLLP_TLS_CLIENT_CAFILE)",
    )
    parser.set_defaults(func=run)


def add_feed_arguments(parser) -> None:
    """How messages map to edflow: shared by `edflow mllp` and `edflow hl7 import`."""
    parser.add_argument("--facility", default="main", help="facility id when the message names none (default: main)")
    parser.add_argument(
        "--facility-field",
        choices=sorted(FACILITY_FIELDS),
        default="MSH-4",
        help="which MSH field names the facility (default: MSH-4, the sending facility)",
    )
    parser.add_argument(
        "--bed-id",
        default="{point_of_care}-{bed}",
        metavar="TEMPLATE",
        help="our bed id from PV1-3 components {point_of_care} {room} {bed} {facility} "
        "(default: {point_of_care}-{bed})",
    )
    parser.add_argument("--timezone", help="zone for times sent without an offset (default: EDFLOW_FACILITY_TIMEZONE)")
    parser.add_argument(
        "--processing-id",
        action="append",
        choices=["P", "T", "D"],
        dest="processing_ids",
        help="MSH-11 processing ids to accept; repeat for several (default: P only)",
    )


def feed_options(args, settings, pinned_need_tls: bool = True):
    """The intake's options from the feed arguments and the facility file;
    a misconfiguration is a one-line CommandError."""
    from base.facility import FacilityError, load_facility
    from base.input_bounds import TimeWindow
    from deploy.cli import CommandError
    from services.hl7.context import FeedOptions

    zone = args.timezone or settings.facility_timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"unknown time zone {zone!r}: use an IANA name such as America/Chicago") from None
    try:
        args.bed_id.format(point_of_care="W", room="1", bed="2", facility="F")
    except (KeyError, IndexError, ValueError):
        raise CommandError(
            f"--bed-id {args.bed_id!r} may only use {{point_of_care}} {{room}} {{bed}} {{facility}}"
        ) from None
    try:
        senders = tuple(load_facility(settings.facility_config).hl7_senders)
    except FacilityError as error:
        raise CommandError(str(error)) from None
    if not senders:
        raise CommandError(
            f"{settings.facility_config} lists no [[hl7_senders]]: every message would be refused; "
            "list the sending applications (MSH-3/MSH-4) and the facilities each may write"
        )
    pinned = [s.name for s in senders if s.certificate_subject or s.certificate_sha256]
    if pinned_need_tls and pinned and not (args.tls_client_ca or settings.mllp_tls_client_cafile):
        raise CommandError(
            f"hl7_senders {', '.join(pinned)} name client certificates: set --tls-client-ca "
            "(EDFLOW_MLLP_TLS_CLIENT_CAFILE) so the listener asks for them"
        )
    return FeedOptions(
        senders=senders,
        default_facility=args.facility,
        facility_field=FACILITY_FIELDS[args.facility_field],
        bed_template=args.bed_id,
        timezone=zone,
        processing_ids=frozenset(args.processing_ids or ["P"]),
        window=TimeWindow.of(settings),
    )


def _tls(args, settings) -> ssl.SSLContext | None:
    from deploy.cli import CommandError
    from services.hl7.mllp import server_tls

    args.tls_cert = args.tls_cert or (settings.mllp_tls_certfile and str(settings.mllp_tls_certfile))
    args.tls_key = args.tls_key or (settings.mllp_tls_keyfile and str(settings.mllp_tls_keyfile))
    client_ca = args.tls_client_ca or (settings.mllp_tls_client_cafile and str(settings.mllp_tls_client_cafile))
    if not args.tls_cert and not args.tls_key:
        if client_ca:
            raise CommandError(
                "--tls-client-ca (EDFLOW_MLLP_TLS_CLIENT_CAFILE) needs TLS: set --tls-cert and --tls-key"
            )
        return None
    if not (args.tls_cert and args.tls_key):
        raise CommandError(
            "TLS needs both --tls-cert and --tls-key (or EDFLOW_MLLP_TLS_CERTFILE and EDFLOW_MLLP_TLS_KEYFILE)"
        )
    try:
        return server_tls(args.tls_cert, args.tls_key, client_ca or None)
    except (OSError, ssl.SSLError) as error:
        raise CommandError(f"cannot load the TLS certificate/key or client CA: {error}") from None


def run(args) -> int:
    from deploy.bootstrap import hospital, load_settings
    from deploy.cli import CommandError
    from services.hl7.intake import Intake
    from services.hl7.mllp import MllpListener

    settings = load_settings()
    options, tls = feed_options(args, settings), _tls(args, settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("eventsourcing").setLevel(logging.WARNING)
    app = hospital(settings)
    host = args.host or settings.mllp_host
    port = settings.mllp_port if args.port is None else args.port
    listener = MllpListener(Intake(app, options), host, port, settings.mllp_max_frame_bytes, tls)

    async def serve() -> None:
        try:
            bound_host, bound_port = await listener.start()
        except OSError as error:
            raise CommandError(f"cannot listen on {host}:{port} ({error.strerror}); choose another --port") from None
        mode = "" if tls is None else " (mutual TLS)" if tls.verify_mode == ssl.CERT_REQUIRED else " (TLS)"
        print(f"edflow mllp listening on {bound_host}:{bound_port}{mode}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await listener.close()

    try:
        asyncio.run(serve())
    finally:
        app.close()
    return 0
