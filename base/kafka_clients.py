"""Kafka clients built from Settings: the one place that knows how edflow
connects to a broker (address, TLS, SASL), so every producer, consumer and
admin client in edflow authenticates the same way.

Nothing here connects: callers `await client.start()` inside their own loop.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context

from base.settings import Settings

SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class KafkaSettingsError(ValueError):
    """The Kafka connection settings cannot work; the message names the variable to fix."""


def connection_options(settings: Settings) -> dict[str, Any]:
    """Options every aiokafka client takes: bootstrap servers, TLS and SASL."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": protocol,
    }
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = _ssl_context(settings)
    if protocol.startswith("SASL_"):
        mechanism = (settings.kafka_sasl_mechanism or "PLAIN").upper()
        if mechanism not in SASL_MECHANISMS:
            raise KafkaSettingsError(
                f"EDFLOW_KAFKA_SASL_MECHANISM={mechanism} is not supported; use one of {', '.join(SASL_MECHANISMS)}"
            )
        if not settings.kafka_sasl_username:
            raise KafkaSettingsError(f"EDFLOW_KAFKA_SECURITY_PROTOCOL={protocol} needs EDFLOW_KAFKA_SASL_USERNAME")
        options.update(
            sasl_mechanism=mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    return options


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    # Without a CA file the system trust store verifies the broker.
    cafile = settings.kafka_ssl_cafile or None
    try:
        return create_ssl_context(cafile=cafile)
    except (OSError, ssl.SSLError) as error:
        raise KafkaSettingsError(f"EDFLOW_KAFKA_SSL_CAFILE={cafile}: cannot load it ({error})") from None


def producer_options(settings: Settings, linger_ms: int = 5, max_batch_size: int = 262_144) -> dict[str, Any]:
    """Durable, ordered publishing, every choice explicit.

    acks=all plus idempotence: a record is acknowledged only once every
    in-sync replica has it, and the broker drops the producer's own retries.
    aiokafka keeps one request in flight per broker, well within the five that
    idempotence allows, so each partition keeps the order records were sent in.
    """
    return {
        **connection_options(settings),
        "client_id": "edflow-relay",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": linger_ms,
        "max_batch_size": max_batch_size,
        "compression_type": None,
        "request_timeout_ms": 30_000,
        "retry_backoff_ms": 200,
    }


def producer(settings: Settings, **overrides: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(**{**producer_options(settings), **overrides})


def consumer(settings: Settings, *topics: str, **overrides: Any) -> AIOKafkaConsumer:
    options: dict[str, Any] = {
        **connection_options(settings),
        "client_id": "edflow-consumer",
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        # Consumers see only committed records (matters once producers use transactions).
        "isolation_level": "read_committed",
    }
    return AIOKafkaConsumer(*topics, **{**options, **overrides})


def admin(settings: Settings, **overrides: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**{**connection_options(settings), "client_id": "edflow-admin", **overrides})
