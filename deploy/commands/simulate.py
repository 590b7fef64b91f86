"""`edflow simulate`: run a synthetic emergency department against the HTTP API."""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deploy.times import iso_time

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd]?)\s*$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "": 60}
ROLES = ("intake", "charge-nurse", "provider", "scheduler", "bed-manager")


class SimulatorTokens(Mapping[str, str]):
    """One token per role for the simulated facility, minted for the site's
    maximum lifetime and minted again half-way through it, so a demo left
    running over a weekend keeps going."""

    def __init__(self, settings, facility_id: str, roles: tuple[str, ...] = ROLES):
        self._settings, self._facility_id, self._roles = settings, facility_id, roles
        self._tokens: dict[str, tuple[str, float]] = {}

    def __getitem__(self, role: str) -> str:
        from base.auth import mint_token

        if role not in self._roles:
            raise KeyError(role)
        lifetime = self._settings.jwt_max_lifetime_seconds
        token, minted = self._tokens.get(role, ("", 0.0))
        if time.monotonic() - minted > lifetime / 2 or not token:
            token = mint_token(self._settings, f"simulator-{role}", role, [self._facility_id], lifetime)
            self._tokens[role] = token, time.monotonic()
        return token

    def __iter__(self) -> Iterator[str]:
        return iter(self._roles)

    def __len__(self) -> int:
        return len(self._roles)


def duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; write e.g. 90m, 6h, 2d (a bare number is hours)")
    return timedelta(minutes=float(match.group(1)) * _UNIT_MINUTES[match.group(2)])


def speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give simulated seconds per real second, e.g. 60 (0 = unpaced)")
    return value


def triage_mix(text: str) -> dict[int, float]:
    try:
        shares = [float(part) for part in text.split(",")]
    except ValueError:
        shares = []
    if len(shares) != 5 or min(shares) < 0 or sum(shares) <= 0:
        raise argparse.ArgumentTypeError("give five non-negative shares for ESI 1-5, e.g. 5.6,15.2,59.9,17.7,1.7")
    return dict(zip(range(1, 6), shares))


def _stop_on_sigterm(signum, frame) -> None:
    # A supervisor (deploy/demo.sh, systemd) stops us with SIGTERM: end like
    # Ctrl-C, with the summary.
    raise KeyboardInterrupt


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="drive a synthetic ED through the HTTP API",
        description="Simulate a busy emergency department: arrivals by the published hourly profile, triage, "
        "rooming, provider, admissions with boarding, discharges, LWBS, bed cleaning and corrections, each "
        "sent to the HTTP API with occurred_at = simulated time. Prints a status line every few seconds "
        "(counts only, no patient data).",
    )
    parser.add_argument("--url", help="API base URL (default: http://EDFLOW_HTTP_HOST:EDFLOW_HTTP_PORT)")
    parser.add_argument(
        "--speed",
        type=speed,
        default=60.0,
        help="simulated seconds per real second; 0 = as fast as possible (default 60)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="random seed: the same seed replays the same visits (default 1)"
    )
    parser.add_argument("--start", type=iso_time, help="simulated start time, ISO 8601 (default: now minus --warmup)")
    parser.add_argument(
        "--duration", type=duration, help="simulated time to run after the warm-up, e.g. 6h, 2d (default: until Ctrl-C)"
    )
    parser.add_argument(
        "--warmup",
        type=duration,
        default=timedelta(0),
        help="run this first simulated span unpaced, so the board starts busy (e.g. 6h)",
    )
    parser.add_argument("--file", help="facility TOML (default: EDFLOW_FACILITY_CONFIG, the demo hospital)")
    parser.add_argument("--per-day", type=float, default=None, help="mean arrivals per day (default 159)")
    parser.add_argument(
        "--triage-mix",
        type=triage_mix,
        default=None,
        help="shares of ESI 1-5, comma separated (default 5.6,15.2,59.9,17.7,1.7)",
    )
    parser.add_argument("--status-every", type=float, default=5.0, help="real seconds between status lines (default 5)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from base.facility import FacilityError, load_facility
    from deploy.bootstrap import load_settings
    from deploy.cli import CommandError
    from deploy.simulator.arrivals import ArrivalModel
    from deploy.simulator.client import ApiUnavailable, CommandClient
    from deploy.simulator.department import SimulationError, SimulationPlan, Simulator

    settings = load_settings()
    try:
        facility = load_facility(args.file or settings.facility_config)
    except FacilityError as error:
        raise CommandError(str(error)) from None
    start = args.start or datetime.now(UTC).replace(second=0, microsecond=0) - args.warmup
    if start.tzinfo is None:
        start = start.replace(tzinfo=facility.zone)
    model = ArrivalModel(zone=facility.zone)
    if args.per_day is not None or args.triage_mix is not None:
        try:
            model = ArrivalModel(
                per_day=args.per_day if args.per_day is not None else model.per_day,
                triage_mix=args.triage_mix or model.triage_mix,
                zone=facility.zone,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
    state_file = settings.data_dir / "simulator" / f"{facility.id}-open-visits.json"
    plan = SimulationPlan(
        facility=facility, start=start, duration=args.duration, speed=args.speed, seed=args.seed,
        warmup=args.warmup, model=model, status_every=args.status_every,
        leftover_visits=_read_open_visits(state_file),
    )  # fmt: skip
    tokens = SimulatorTokens(settings, facility.id)
    url = args.url or f"http://{settings.http_host}:{settings.http_port}"
    client = CommandClient(url, facility.id, tokens)
    simulator = Simulator(plan, client, out=lambda line: print(line, flush=True))
    print(
        f"simulating {facility.id} from {start.astimezone(facility.zone):%Y-%m-%d %H:%M %Z} "
        f"at speed {args.speed:g} (seed {args.seed}) against {url}",
        flush=True,
    )
    interrupted = False
    previous_sigterm = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        simulator.run()
    except ApiUnavailable:
        raise CommandError(f"no edflow API answering at {url}: start it with `edflow serve`, or pass --url") from None
    except SimulationError as error:
        raise CommandError(str(error)) from None
    except KeyboardInterrupt:
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        client.close()
    _write_open_visits(state_file, simulator.open_visits())
    for line in simulator.summary_lines():
        print(line, flush=True)
    if interrupted:
        return 130
    return 1 if client.counts.unexpected_total else 0


# Visits still in the department when a run ends are finished by the next
# run, so a restarted demo never leaves patients waiting on the board for
# ever. Only encounter ids are kept: nothing that identifies a patient.


def _read_open_visits(path: Path) -> tuple[str, ...]:
    try:
        return tuple(str(i) for i in json.loads(path.read_text())["open_visits"])
    except FileNotFoundError:
        return ()
    except (OSError, ValueError, KeyError, TypeError):
        print(f"note: ignoring unreadable {path}", file=sys.stderr)
        return ()


def _write_open_visits(path: Path, encounter_ids: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"open_visits": encounter_ids}))
    partial.replace(path)
