"""Kafka security settings: read from PSFLOW_*, checked for completeness, the password never shown."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from app.runtime.settings import Settings
from app.security.kafka_clients import KafkaClients
from app.security.kafka_security import KafkaSecurity, KafkaSecurityError, SettingsError

PASSWORD = "pa55-w0rd-that-must-not-leak"
SASL = {"PSFLOW_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "PSFLOW_SASL_USERNAME": "psflow"}


def test_plaintext_by_default_with_hostname_checks_on() -> None:
    security = KafkaSecurity.from_env({})
    assert security.security_protocol == "PLAINTEXT" and security.ssl_check_hostname
    assert KafkaClients("b:9092", security).options() == {
        "bootstrap_servers": "b:9092",
        "security_protocol": "PLAINTEXT",
    }


def test_the_password_comes_from_the_variable_or_a_file_never_both(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")

    from_variable = KafkaSecurity.from_env({**SASL, "PSFLOW_SASL_PASSWORD": PASSWORD})
    from_file = KafkaSecurity.from_env({**SASL, "PSFLOW_SASL_PASSWORD_FILE": str(secret)})

    assert from_variable.sasl_password is not None and from_file.sasl_password is not None
    assert (
        from_variable.sasl_password.get_secret_value()
        == from_file.sasl_password.get_secret_value()
        == PASSWORD
    )
    with pytest.raises(KafkaSecurityError, match="not both"):
        KafkaSecurity.from_env(
            {**SASL, "PSFLOW_SASL_PASSWORD": "x", "PSFLOW_SASL_PASSWORD_FILE": str(secret)}
        )
    with pytest.raises(KafkaSecurityError, match="cannot read"):
        KafkaSecurity.from_env({**SASL, "PSFLOW_SASL_PASSWORD_FILE": str(tmp_path / "missing")})


def test_every_printout_redacts_the_password() -> None:
    settings = Settings.from_env(environ={**SASL, "PSFLOW_SASL_PASSWORD": PASSWORD})
    security = settings.kafka_security

    shown = [
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        repr(settings.kafka),
        str(security.describe()),
    ]
    assert not [s for s in shown if PASSWORD in s]
    assert security.describe()["sasl_password"] == "**********"
    # The clients get it, and only they.
    assert settings.kafka.options()["sasl_plain_password"] == PASSWORD
    assert settings.kafka.options()["sasl_mechanism"] == "SCRAM-SHA-512"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PSFLOW_SECURITY_PROTOCOL": "SASL_SSL"}, "needs PSFLOW_SASL_USERNAME and PSFLOW_SASL_PASSWORD"),
        ({**SASL, "PSFLOW_SASL_PASSWORD": PASSWORD, "PSFLOW_SASL_MECHANISM": "MD5"}, "PSFLOW_SASL_MECHANISM"),
        ({"PSFLOW_SECURITY_PROTOCOL": "TLS"}, "PSFLOW_SECURITY_PROTOCOL"),
        ({"PSFLOW_SSL_CERT_FILE": "/c.pem"}, "go together"),
        ({"PSFLOW_SSL_CHECK_HOSTNAME": "maybe"}, "must be true or false"),
    ],
)
def test_incomplete_or_unknown_settings_are_refused_naming_the_variable(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_env(environ=environ)
    assert PASSWORD not in str(refused.value)


def test_tls_verifies_certificates_and_hostnames_unless_told_not_to_check_names() -> None:
    on = KafkaSecurity(security_protocol="SSL").ssl_context()
    off = KafkaSecurity.from_env({"PSFLOW_SECURITY_PROTOCOL": "SSL", "PSFLOW_SSL_CHECK_HOSTNAME": "false"})

    assert on is not None and on.verify_mode is ssl.CERT_REQUIRED and on.check_hostname
    context = off.ssl_context()
    assert context is not None and context.verify_mode is ssl.CERT_REQUIRED and not context.check_hostname
    assert KafkaSecurity().ssl_context() is None


def test_one_tls_context_is_shared_by_every_client_of_a_process() -> None:
    kafka = KafkaClients("b:9093", KafkaSecurity(security_protocol="SSL"))
    assert kafka.options()["ssl_context"] is kafka.options()["ssl_context"] is kafka.ssl_context()
    assert kafka.servers() == [("b", 9093)]
    assert KafkaClients("k1:9092, [::1]:9093").servers() == [("k1", 9092), ("::1", 9093)]
