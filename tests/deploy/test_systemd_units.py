"""The systemd units in deploy/systemd run edflow command lines the CLI
accepts, restart on their own, read the site's environment file, and that
file's example names only real settings."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from base.settings import Settings
from deploy.cli import build_parser

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
UNITS = sorted(SYSTEMD.glob("*.service"))
ENV_FILE = "/etc/edflow/edflow.env"
# What a unit's instance name (%i) stands for, per template.
INSTANCES = {"edflow-worker@.service": "1", "edflow-serve@.service": "8000"}


def read_unit(path: Path) -> configparser.ConfigParser:
    # Unit files are INI-like: keys are case-sensitive, '%' is systemd's.
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keep keys' case
    unit.read_string(path.read_text())
    return unit


def edflow_argv(exec_start: str, instance: str) -> list[str]:
    """The arguments after `edflow` on an ExecStart line (past `/usr/bin/env NAME=value ...`)."""
    words = shlex.split(exec_start.replace("%i", instance))
    if words[0] == "/usr/bin/env":
        words = words[1:]
        while "=" in words[0]:
            words = words[1:]
    assert Path(words[0]).name == "edflow", f"{exec_start} does not run edflow"
    return words[1:]


def test_there_is_a_unit_for_every_edflow_process():
    assert {p.name for p in UNITS} == {
        "edflow-topics.service",
        "edflow-relay.service",
        "edflow-worker@.service",
        "edflow-serve@.service",
        "edflow-mllp.service",
        "edflow-reminders.service",
    }


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_an_edflow_command_the_cli_accepts(path: Path):
    service = read_unit(path)["Service"]
    argv = edflow_argv(service["ExecStart"], INSTANCES.get(path.name, ""))

    args = build_parser().parse_args(argv)  # exits (SystemExit) on an unknown command or option

    assert callable(getattr(args, "func", None)), f"{path.name}: `edflow {' '.join(argv)}` runs nothing"
    assert argv[0] in path.name


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_reads_the_site_environment_and_is_supervised(path: Path):
    unit = read_unit(path)
    service = unit["Service"]

    assert service["EnvironmentFile"] == ENV_FILE  # no '-': a missing file is an error
    assert service["User"] == "edflow"
    assert unit["Install"]["WantedBy"] == "edflow.target"
    if service.get("Type") == "oneshot":
        assert service["RemainAfterExit"] == "yes"
    else:
        assert service["Restart"] == "always" and service["RestartSec"]
        # Never give up restarting: a broker or database outage at start-up heals by itself.
        assert unit["Unit"]["StartLimitIntervalSec"] == "0"
        assert unit["Unit"]["PartOf"] == "edflow.target"


def test_workers_keep_their_tables_apart():
    service = read_unit(SYSTEMD / "edflow-worker@.service")["Service"]

    assert "EDFLOW_DATA_DIR=/var/lib/edflow/worker-%i" in service["ExecStart"]
    assert "edflow/worker-%i" in service["StateDirectory"].split()


def example_settings() -> dict[str, str]:
    lines = (SYSTEMD / "edflow.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.startswith("EDFLOW_"))


def test_the_example_environment_names_only_edflow_settings():
    lines = (SYSTEMD / "edflow.env.example").read_text().splitlines()
    names = {line.lstrip("#").split("=", 1)[0] for line in lines if line.lstrip("#").startswith("EDFLOW_")}

    assert {n for n in names if n.removeprefix("EDFLOW_").lower() not in Settings.model_fields} == set()
    assert {"EDFLOW_KAFKA_BOOTSTRAP", "EDFLOW_POSTGRES_DSN", "EDFLOW_EVENT_STORE"} <= set(example_settings())


def test_the_example_environment_is_valid_once_its_blanks_are_filled(monkeypatch):
    settings = example_settings()
    secrets = {name for name, value in settings.items() if value == ""}
    for name, value in settings.items():
        monkeypatch.setenv(name, value or "filled-in-" + "x" * 40)  # long enough for a signing secret

    loaded = Settings()

    # Every password and secret is left blank for the site to fill in.
    assert {"EDFLOW_POSTGRES_DSN", "EDFLOW_KAFKA_SASL_PASSWORD", "EDFLOW_SMTP_PASSWORD", "EDFLOW_JWT_SECRET"} <= secrets
    assert (loaded.event_store, loaded.topic_replication, loaded.kafka_security_protocol) == ("postgres", 3, "SASL_SSL")
    assert loaded.allowed_origins == ["https://edflow.example.org"]
