"""How psflow authenticates to Kafka and encrypts the connection: PSFLOW_SECURITY_PROTOCOL and friends."""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
REDACTED = "**********"
# The variables of the Kafka security settings, for a process that starts another with a scrubbed environment.
KAFKA_SECURITY_VARIABLES = frozenset(
    {
        "PSFLOW_SECURITY_PROTOCOL",
        "PSFLOW_SASL_MECHANISM",
        "PSFLOW_SASL_USERNAME",
        "PSFLOW_SASL_PASSWORD",
        "PSFLOW_SASL_PASSWORD_FILE",
        "PSFLOW_SSL_CA_FILE",
        "PSFLOW_SSL_CERT_FILE",
        "PSFLOW_SSL_KEY_FILE",
        "PSFLOW_SSL_CHECK_HOSTNAME",
    }
)

# PSFLOW_<NAME> of each field; the password may also come from a file (PSFLOW_SASL_PASSWORD_FILE).
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A PSFLOW_* setting is missing, malformed or contradicts another."""


class KafkaSecurityError(SettingsError):
    """The Kafka security settings are contradictory or incomplete."""


class KafkaSecurity(BaseModel):
    """The security half of a Kafka connection; the password never appears in a repr, str or dump."""

    # A validation error must not quote what it was given: that may be the password.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    security_protocol: SecurityProtocol = Field("PLAINTEXT", description="How clients talk to the brokers.")
    sasl_mechanism: SaslMechanism = Field("SCRAM-SHA-512", description="SASL mechanism (SASL_* protocols).")
    sasl_username: str | None = Field(None, description="SASL user (the Kafka principal User:<name>).")
    sasl_password: SecretStr | None = Field(None, description="SASL password; redacted in every printout.")
    ssl_ca_file: Path | None = Field(None, description="PEM CA bundle that signed the brokers' certificates.")
    ssl_cert_file: Path | None = Field(None, description="PEM client certificate (mutual TLS).")
    ssl_key_file: Path | None = Field(None, description="PEM private key of the client certificate.")
    ssl_check_hostname: bool = Field(True, description="Check the broker certificate names the host dialled.")

    @model_validator(mode="after")
    def _complete(self) -> KafkaSecurity:
        if self.uses_sasl and not (self.sasl_username and self.sasl_password):
            raise KafkaSecurityError(
                f"{self.security_protocol} needs PSFLOW_SASL_USERNAME and PSFLOW_SASL_PASSWORD "
                "(or PSFLOW_SASL_PASSWORD_FILE)"
            )
        if (self.ssl_cert_file is None) != (self.ssl_key_file is None):
            raise KafkaSecurityError("PSFLOW_SSL_CERT_FILE and PSFLOW_SSL_KEY_FILE go together (mutual TLS)")
        return self

    @property
    def uses_sasl(self) -> bool:
        """Tell whether the connection authenticates with SASL."""
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        """Tell whether the connection is encrypted."""
        return self.security_protocol.endswith("SSL")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> KafkaSecurity:
        """Read PSFLOW_SECURITY_PROTOCOL, PSFLOW_SASL_*, PSFLOW_SSL_* (password from a variable or a file)."""
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = environ.get(f"PSFLOW_{name.upper()}")
            if raw is not None and raw != "":
                values[name] = _flag(name, raw) if name == "ssl_check_hostname" else raw
        if "sasl_password" in values:
            values["sasl_password"] = SecretStr(values["sasl_password"])
        password_file = environ.get("PSFLOW_SASL_PASSWORD_FILE")
        if password_file:
            if "sasl_password" in values:
                raise KafkaSecurityError("set PSFLOW_SASL_PASSWORD or PSFLOW_SASL_PASSWORD_FILE, not both")
            values["sasl_password"] = SecretStr(
                read_secret_file(Path(password_file), "PSFLOW_SASL_PASSWORD_FILE")
            )
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise KafkaSecurityError(explain(exc)) from None

    def ssl_context(self) -> ssl.SSLContext | None:
        """Return the TLS context of every client (None for a plaintext protocol)."""
        if not self.uses_tls:
            return None
        # Certificates are always verified; only the name check can be turned off (a broker behind an alias).
        context = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH, cafile=str(self.ssl_ca_file) if self.ssl_ca_file else None
        )
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_cert_file is not None and self.ssl_key_file is not None:
            context.load_cert_chain(str(self.ssl_cert_file), str(self.ssl_key_file))
        return context

    def describe(self) -> dict[str, Any]:
        """Return the settings for a printout or /health: files by path, the password redacted."""
        shown = self.model_dump(mode="json", exclude={"sasl_password"})
        shown["sasl_password"] = REDACTED if self.sasl_password is not None else None
        return shown


def read_secret_file(path: Path, variable: str) -> str:
    """Return a secret kept in a file, without its trailing newline."""
    try:
        secret = path.read_text().rstrip("\r\n")
    except OSError as exc:
        raise KafkaSecurityError(f"{variable}: cannot read {path} ({exc.strerror})") from None
    if not secret:
        raise KafkaSecurityError(f"{variable}: {path} is empty")
    return secret


def explain(exc: ValidationError) -> str:
    """Return a settings validation error as one line per problem, naming the variable, never the input."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        where = "_".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"PSFLOW_{where}: {message}" if where else message)
    return "; ".join(lines)


def _flag(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise KafkaSecurityError(f"PSFLOW_{name.upper()} must be true or false, not {raw!r}")
