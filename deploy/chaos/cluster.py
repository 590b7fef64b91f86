"""A three-broker KRaft cluster of its own, run with `deploy/kafka.sh` on
loopback ports and a data directory of its own, and the per-node faults the
script offers (kill, start, pause, resume one node)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from deploy.chaos.processes import free_port_block, ports_free

KAFKA_SH = Path(__file__).resolve().parents[1] / "kafka.sh"


class ClusterError(RuntimeError):
    """kafka.sh refused or failed; the message carries its last words."""


@dataclass
class KafkaCluster:
    data_dir: Path
    brokers: int = 3
    first_port: int = 0
    bootstrap: str = ""
    started: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        size = 2 * self.brokers
        if not self.first_port:
            self.first_port = free_port_block(size)
        elif not ports_free(self.first_port, size):
            raise ClusterError(f"ports {self.first_port}-{self.first_port + size - 1} are not all free on 127.0.0.1")

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EDFLOW_KAFKA_", "EDFLOW_DATA_DIR"))}
        env.update(
            EDFLOW_KAFKA_BROKERS=str(self.brokers),
            EDFLOW_KAFKA_PORT=str(self.first_port),
            EDFLOW_DATA_DIR=str(self.data_dir),
        )
        return env

    def kafka(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            ["bash", str(KAFKA_SH), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise ClusterError(f"kafka.sh {' '.join(args)} exited {result.returncode}: {result.stderr.strip()[-800:]}")
        return result.stdout

    def start(self) -> KafkaCluster:
        self.started = True
        self.kafka("start", timeout=180)
        self.bootstrap = self.kafka("bootstrap").strip()
        return self

    def stop(self) -> None:
        if self.started:
            for node in range(1, self.brokers + 1):  # a paused node would not hear SIGTERM
                subprocess.run(
                    ["bash", str(KAFKA_SH), "resume-node", str(node)], env=self.env, capture_output=True, timeout=30
                )
            subprocess.run(["bash", str(KAFKA_SH), "stop"], env=self.env, capture_output=True, timeout=120)
            self.started = False

    def kill_node(self, node: int) -> None:
        self.kafka("kill-node", str(node))

    def start_node(self, node: int) -> None:
        self.kafka("start-node", str(node), timeout=180)

    def pause_node(self, node: int) -> None:
        self.kafka("pause-node", str(node))

    def resume_node(self, node: int) -> None:
        self.kafka("resume-node", str(node))
