"""Every Kafka client is built from the same connection settings: TLS and SASL
pass through to aiokafka, and settings that cannot work are named."""

from __future__ import annotations

import ssl

import pytest

from base.kafka_clients import KafkaSettingsError, admin, connection_options, consumer, producer_options
from base.settings import Settings


def test_plaintext_needs_only_the_bootstrap_servers():
    options = connection_options(Settings(kafka_bootstrap="k1:9092,k2:9092"))

    assert options == {"bootstrap_servers": "k1:9092,k2:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_over_tls_passes_mechanism_credentials_and_a_verifying_context():
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="scram-sha-512",
        kafka_sasl_username="edflow-relay",
        kafka_sasl_password="s3cret",
        kafka_ssl_cafile=ssl.get_default_verify_paths().cafile or "",
    )
    options = connection_options(settings)

    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("edflow-relay", "s3cret")
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED and options["ssl_context"].check_hostname


def test_the_producer_is_durable_and_ordered_by_explicit_choice():
    options = producer_options(Settings())

    assert (options["acks"], options["enable_idempotence"]) == ("all", True)


async def test_consumers_and_admin_clients_get_the_same_credentials():
    settings = Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u", kafka_sasl_password="p")
    reader = consumer(settings, "t.events.ed", group_id=None)
    administrator = admin(settings)

    assert reader._client._sasl_mechanism == "PLAIN" and reader._client._sasl_plain_username == "u"
    assert administrator._client._security_protocol == "SASL_PLAINTEXT"
    await administrator.close()


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"kafka_security_protocol": "SASL_PLAINTEXT"}, "EDFLOW_KAFKA_SASL_USERNAME"),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_username": "u", "kafka_sasl_mechanism": "GSSAPI"},
            "EDFLOW_KAFKA_SASL_MECHANISM",
        ),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/nonexistent/ca.pem"}, "EDFLOW_KAFKA_SSL_CAFILE"),
    ],
)
def test_settings_that_cannot_connect_name_the_variable_to_fix(overrides, names):
    with pytest.raises(KafkaSettingsError, match=names):
        connection_options(Settings(**overrides))
