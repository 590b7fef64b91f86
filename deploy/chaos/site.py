"""A whole edflow site on this machine, for the fault harness: its own
three-broker cluster, a fresh event store, two relays (one publishes, the
store's relay lock decides), two projection workers in one group and two
servers. Everything started is stopped again by `close()`, in reverse order,
whatever happened in between."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from base.settings import Settings
from deploy.chaos.cluster import KafkaCluster
from deploy.chaos.processes import EDFLOW, ServeProcess, Service, serve_process, server_environment

ORIGIN = "http://chaos.board.test"
PUBLISHING = "the relay lock: this relay publishes"
WORKER_ID = "chaos-projections"


class SiteError(RuntimeError):
    """A part of the site would not start; the message says which and why."""


@dataclass
class Site:
    root: Path
    postgres_dsn: str = ""  # a server to create a scratch database on; "" = SQLite
    kafka_port: int = 0
    say: Callable[[str], None] = print
    cluster: KafkaCluster | None = None
    settings: Settings | None = None
    relays: list[Service] = field(default_factory=list)
    workers: list[Service] = field(default_factory=list)
    servers: list[ServeProcess] = field(default_factory=list)
    _database: str = ""
    _relay_starts: dict[str, int] = field(default_factory=dict)

    # -- start ---------------------------------------------------------------

    def start(self) -> Site:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        self.say(f"starting a three-broker Kafka cluster under {self.root}")
        self.cluster = KafkaCluster(self.root / "kafka-data", first_port=self.kafka_port).start()
        self.settings = Settings(
            data_dir=self.root / "home",
            kafka_bootstrap=self.cluster.bootstrap,
            topic_prefix="chaos",
            jwt_secret=secrets.token_hex(32),
            allowed_origins=[ORIGIN],
            event_store="postgres" if self.postgres_dsn else "sqlite",
            postgres_dsn=self._scratch_database(),
        )
        store = f"postgres, database {self._database}" if self.postgres_dsn else "sqlite"
        self.say(f"cluster at {self.cluster.bootstrap}; store: {store}")
        self.edflow("topics", "create")
        self.edflow("facility", "load")
        for name in ("a", "b"):
            self.relays.append(self._service(f"relay-{name}", ["relay"], EDFLOW_RELAY_STANDBY_SECONDS="0.5"))
            self.start_relay(self.relays[-1])
        for name in ("a", "b"):
            home = self.root / f"worker-{name}"
            worker = self._service(f"worker-{name}", ["worker", "--loglevel", "info"], EDFLOW_DATA_DIR=str(home))
            worker.env.update(EDFLOW_WORKER_ID=WORKER_ID)
            self.workers.append(worker.start())
        for name in ("api", "board"):
            server = serve_process(self.settings, self.log(f"serve-{name}"), name=f"serve-{name}")
            self.servers.append(server.start())
        for server in self.servers:
            server.wait_ready(90)
        self.wait_for(lambda: self.active_relay() is not None, 60, "a relay holding the relay lock")
        self.say("two relays, two workers and two servers running")
        return self

    def _scratch_database(self) -> str:
        """A new database on the PostgreSQL server of `postgres_dsn` (dropped by close())."""
        if not self.postgres_dsn:
            return ""
        import psycopg

        self._database = f"edflow_chaos_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.postgres_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self._database}"')
        return self.postgres_dsn.rsplit("/", 1)[0] + "/" + self._database

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def _service(self, name: str, args: list[str], **env: str) -> Service:
        assert self.settings is not None
        return Service(name, args, server_environment(self.settings, **env), self.log(name))

    def edflow(self, *args: str) -> str:
        assert self.settings is not None
        result = subprocess.run(
            [EDFLOW, *args], env=server_environment(self.settings), capture_output=True, text=True, timeout=180
        )
        if result.returncode != 0:
            raise SiteError(f"edflow {' '.join(args)} exited {result.returncode}: {result.stderr.strip()[-600:]}")
        return result.stdout

    # -- the relays: which one publishes -------------------------------------

    def start_relay(self, relay: Service) -> None:
        self._relay_starts[relay.name] = len(relay.text())
        relay.start()

    def active_relay(self) -> Service | None:
        for relay in self.relays:
            if relay.running and PUBLISHING in relay.text()[self._relay_starts.get(relay.name, 0) :]:
                return relay
        return None

    @staticmethod
    def wait_for(done: Callable[[], bool], timeout: float, what: str) -> float:
        began = time.monotonic()
        while not done():
            if time.monotonic() - began > timeout:
                raise SiteError(f"no {what} after {timeout:g} s")
            time.sleep(0.1)
        return time.monotonic() - began

    # -- stop ----------------------------------------------------------------

    def close(self) -> None:
        for service in [*self.servers[::-1], *self.workers[::-1], *self.relays[::-1]]:
            try:
                service.stop(timeout=15)
            except Exception:  # keep stopping the rest
                service.kill()
        if self.cluster is not None:
            self.say("stopping the Kafka cluster")
            self.cluster.stop()
        if self._database:
            import psycopg

            with psycopg.connect(self.postgres_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')
            self._database = ""

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
