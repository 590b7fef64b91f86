"""The simulator against a real API server and a real event store: it sends
only valid commands, takes conflicts in its stride, and replays exactly for
a seed."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from deploy.cli import main as edflow
from deploy.simulator.clinic import CLINIC_TYPES
from deploy.simulator.department import SimulationError
from deploy.simulator.patients import FAMILY, GIVEN_F, GIVEN_M

# A Monday 06:00 in Chicago: the morning ramp-up.
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SIMULATOR_ROLES = {"intake", "charge-nurse", "provider", "scheduler", "bed-manager"}


def test_a_simulated_shift_sends_only_valid_commands_on_the_simulated_clock(new_department):
    department = new_department()
    simulator = department.simulator(START, timedelta(hours=10), seed=4)
    tally = simulator.run()

    counts = simulator.client.counts
    assert dict(counts.unexpected) == {}  # no 422, 403, 404 or 500
    assert tally.arrivals >= 30 and counts.sent >= 200
    envelopes = [e for e in department.envelopes() if e.type != "BedRegistered"]
    types = Counter(e.type for e in envelopes)
    for expected in ("PatientArrived", "PatientTriaged", "BedAssigned", "ProviderAssigned", "AdmitDecided",
                     "PatientDischarged", "BedReleased", "BedCleaningStarted", "BedCleaned"):  # fmt: skip
        assert types[expected] > 0, expected
    assert types["PatientArrived"] >= tally.arrivals
    end = START + timedelta(hours=10)
    assert all(START <= e.occurred_at < end for e in envelopes)
    assert {e.actor.role for e in envelopes} <= SIMULATOR_ROLES
    assert all(e.actor.id == f"simulator-{e.actor.role}" for e in envelopes)


def test_the_same_seed_replays_the_same_events_and_another_seed_does_not(new_department):
    def history(seed: int) -> list[tuple]:
        department = new_department()
        department.simulator(START, timedelta(hours=4), seed=seed).run()
        return [
            (e.type, e.aggregate_id, e.aggregate_version, e.occurred_at, e.data)
            for e in department.envelopes()
            if e.type != "BedRegistered"  # registered at load time, on the wall clock
        ]

    first = history(7)
    assert len(first) > 100
    assert history(7) == first
    assert history(8) != first


def test_a_simulated_weekday_runs_its_outpatient_clinics_and_books_the_next_day_the_evening_before(new_department):
    department = new_department()
    simulator = department.simulator(START, timedelta(hours=36), seed=2)  # Monday 06:00 to Tuesday 18:00
    simulator.run()
    assert dict(simulator.client.counts.unexpected) == {}

    zone = department.facility.zone
    clinic = {e.aggregate_id: e for e in department.envelopes()
              if e.type == "AppointmentBooked" and e.data.appointment_type in CLINIC_TYPES}  # fmt: skip
    by_day = Counter(e.data.start.astimezone(zone).date().isoformat() for e in clinic.values())
    assert by_day["2026-03-02"] >= 15 and by_day["2026-03-03"] >= 15, by_day
    for booked in clinic.values():
        local_start = booked.data.start.astimezone(zone)
        assert 8 <= local_start.hour < 16 and local_start.weekday() < 5
        assert booked.occurred_at < booked.data.start  # booked ahead, never after the fact
        if local_start.date().isoformat() == "2026-03-03":  # the evening list
            assert booked.occurred_at.astimezone(zone).replace(tzinfo=None) == datetime(2026, 3, 2, 17, 0)

    # By Monday evening every Monday appointment has happened, been missed, or been cancelled.
    endings = {"AppointmentCompleted", "AppointmentNoShow", "AppointmentCancelled"}
    ended = {e.aggregate_id: e.type for e in department.envelopes() if e.type in endings}
    monday = [a for a, e in clinic.items() if e.data.start.astimezone(zone).date().isoformat() == "2026-03-02"]
    outcomes = Counter(ended.get(a, "still booked") for a in monday)
    assert outcomes["still booked"] == 0 and outcomes["AppointmentCompleted"] > outcomes["AppointmentNoShow"], outcomes
    assert any(e.type == "InsuranceVerified" for e in department.envelopes())


def test_two_simulated_teams_racing_for_beds_get_conflicts_never_errors(new_department):
    department = new_department()
    teams = [department.simulator(START, timedelta(hours=4), seed=seed) for seed in (1, 2)]
    threads = [threading.Thread(target=team.run) for team in teams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads)
    for team in teams:
        assert dict(team.client.counts.unexpected) == {}
    conflicts: Counter[str] = sum((team.client.counts.conflict_codes for team in teams), Counter())
    assert any(what.startswith("bed_not_available") for what in conflicts), conflicts
    # However the race went, no bed ever held two patients.
    occupants: Counter[uuid.UUID] = Counter()
    for e in department.envelopes():
        if e.type == "BedOccupied":
            occupants[e.aggregate_id] += 1
        elif e.type == "BedReleased":
            occupants[e.aggregate_id] -= 1
        assert all(n in (0, 1) for n in occupants.values())


def test_a_new_run_takes_over_the_patients_an_earlier_run_left_in_beds(new_department):
    department = new_department()
    earlier = department.simulator(START, timedelta(hours=6), seed=3)
    earlier.run()
    left_in_beds = sum(1 for v in earlier.visits.values() if v.bed_id is not None)
    assert left_in_beds > 0

    later = department.simulator(START + timedelta(hours=6), timedelta(hours=4), seed=9)
    tally = later.run()
    assert dict(later.client.counts.unexpected) == {}
    assert tally.departures["inherited"] == left_in_beds


def test_a_new_run_finishes_every_visit_an_earlier_run_left_open(new_department):
    department = new_department()
    earlier = department.simulator(START, timedelta(hours=8), seed=5)
    earlier.run()
    left_open = earlier.open_visits()
    assert any(earlier.visits[e].bed_id is None for e in left_open)  # some were still waiting

    later = department.simulator(
        START + timedelta(hours=8), timedelta(hours=4), seed=6, leftover_visits=tuple(left_open)
    )
    tally = later.run()
    assert dict(later.client.counts.unexpected) == {}
    assert tally.departures["inherited"] == len(left_open)
    for encounter_id in left_open:
        assert later.client.get("charge-nurse", f"/encounters/{encounter_id}").body["status"] == "finished"


def test_the_simulator_refuses_a_facility_whose_beds_are_not_registered(new_department):
    department = new_department(load_facility_beds=False)
    simulator = department.simulator(START, timedelta(hours=1))
    with pytest.raises(
        SimulationError, match=r"bed R1 is not registered in facility demo: run `edflow facility load` first"
    ):
        simulator.run()
    assert department.envelopes() == []


def test_a_paced_run_never_gets_ahead_of_the_wall_clock(new_department):
    department = new_department()
    # 7200x: 15 simulated minutes take at least 0.125 s of real time.
    simulator = department.simulator(START, timedelta(minutes=15), speed=7200)
    began = time.monotonic()
    simulator.run()
    assert time.monotonic() - began >= 15 * 60 / 7200


def test_edflow_simulate_prints_counts_and_never_a_patient(new_department, monkeypatch, capsys):
    department = new_department()
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(department.settings.data_dir))
    status = edflow([
        "simulate", "--url", department.url, "--speed", "0", "--seed", "5",
        "--start", "2026-03-02T06:00-06:00", "--duration", "3h", "--status-every", "0",
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0, out
    assert "sim 2026-03-02 09:00 CST | arrivals" in out
    assert "0 unexpected" in out
    words = set(out.replace("|", " ").replace(",", " ").split())
    assert not words & set(GIVEN_F + GIVEN_M + FAMILY)
    assert "SIM0" not in out  # no medical record numbers

    again = edflow(["simulate", "--url", department.url, "--speed", "0", "--seed", "6",
                    "--start", "2026-03-02T09:00-06:00", "--duration", "3h"])  # fmt: skip
    out = capsys.readouterr().out
    assert again == 0, out
    assert "inherited" in out  # the first run's open visits were finished


def test_edflow_simulate_without_a_server_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    assert edflow(["simulate", "--url", url, "--duration", "1h", "--speed", "0"]) == 2
    err = capsys.readouterr().err
    assert err == f"edflow simulate: no edflow API answering at {url}: start it with `edflow serve`, or pass --url\n"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--speed", "-1"], "argument --speed: '-1': give simulated seconds per real second"),
        (["--duration", "soon"], "argument --duration: 'soon' is not a duration"),
        (["--start", "monday"], "argument --start: 'monday' is not an ISO 8601 time"),
        (["--triage-mix", "1,2,3"], "argument --triage-mix: give five non-negative shares"),
        (["--per-day", "-10"], "edflow simulate: arrivals per day must not be negative"),
        (["--file", "/nonexistent/site.toml"], "edflow simulate: /nonexistent/site.toml: no such file"),
    ],
)
def test_bad_simulate_arguments_are_one_line_errors(argv, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    status: int | str | None
    try:
        status = edflow(["simulate", "--url", "http://127.0.0.1:9", *argv])
    except SystemExit as exit_:  # argparse refuses before the command runs
        status = exit_.code
    assert status == 2
    assert expected in capsys.readouterr().err.strip().splitlines()[-1]


def test_the_simulated_clock_never_runs_ahead_of_the_wall_clock(new_department):
    department = new_department()
    present = START + timedelta(hours=1)
    wall = [present]
    simulator = department.simulator(START, timedelta(hours=3), seed=3)
    # A wall clock of the test's own ("now" is START + 1 h), moved on only by
    # the simulator's waiting: the first hour is history, the rest is live.
    simulator.wall = lambda: wall[0]
    simulator.sleep = lambda seconds: wall.__setitem__(0, wall[0] + timedelta(seconds=seconds))
    sent: list[tuple[datetime, datetime]] = []
    send = simulator.client.send

    def recording_send(role, method, path, body):
        if "occurred_at" in body:
            sent.append((datetime.fromisoformat(body["occurred_at"]), wall[0]))
        return send(role, method, path, body)

    simulator.client.send = recording_send
    simulator.run()

    assert any(occurred < present for occurred, _ in sent) and any(occurred > present for occurred, _ in sent)
    assert all(occurred <= at_wall for occurred, at_wall in sent)
