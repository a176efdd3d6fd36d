"""Typed settings of every psflow process, read from PSFLOW_* environment variables."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.security.kafka_clients import KafkaClients
from app.security.kafka_security import KafkaSecurity, SettingsError, explain
from domain.forecast import ForecastContext

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BROKER = "127.0.0.1:9092"
# Read outside the settings model: the password file, the operator's credential, the dev kit's folders.
OTHER_VARIABLES = frozenset(
    {
        "PSFLOW_SASL_PASSWORD_FILE",
        "PSFLOW_OPERATOR_TOKEN",
        "PSFLOW_OPERATOR_TOKEN_FILE",
        "PSFLOW_CACHE_DIR",
        "PSFLOW_KAFKA_JARS_DIR",
    }
)


class Settings(BaseModel):
    """Everything a worker or CLI command needs to know about its environment.

    Each field maps to ``PSFLOW_<FIELD>``; the defaults run with RocksDB state and exactly-once
    processing. The broker defaults to 127.0.0.1:9092; the `psflow` command line passes the broker that
    `psflow kafka up` started as a default instead, so settings never depend on the local dev kit.
    """

    # A validation error must not quote its input: the Kafka security block holds the password.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    broker: str = Field(description="Kafka bootstrap servers, host:port[,host:port].")
    kafka_security: KafkaSecurity = Field(
        default_factory=KafkaSecurity,
        description="TLS and SASL of every Kafka client (PSFLOW_SECURITY_PROTOCOL, _SASL_*, _SSL_*).",
    )
    app_id: str = Field("psflow", description="Faust app id: the consumer group and state namespace.")
    topic_prefix: str = Field("", description="Prefix of every topic name (isolates tests, tenants).")
    store: str = Field("rocksdb://", description="Faust table store; rocksdb:// in production.")
    processing_guarantee: Literal["exactly_once", "at_least_once"] = Field(
        "exactly_once", description="Kafka transactions commit outputs, table changes and offsets together."
    )
    web_host: str = Field("127.0.0.1", description="Interface of the worker's HTTP server.")
    web_port: int = Field(6066, description="Port of the worker's HTTP server (/metrics, /projects/{id}).")
    web_advertised_host: str | None = Field(
        None,
        description="Host other workers reach this one at (default: web_host; this host's name when that is "
        "0.0.0.0, as in a container).",
    )
    web_reads: Literal["public", "protected"] = Field(
        "public", description="Whether /projects and /resources need a viewer's bearer token."
    )
    operators_file: Path | None = Field(
        None, description="JSON of operators: sha256 of each token -> name and roles (HTTP and replay)."
    )
    data_dir: Path = Field(description="Worker state (RocksDB) folder.")
    log_level: str = Field("info", description="Worker log level.")
    closed_periods: frozenset[Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]] = Field(
        frozenset(), description="Months closed for posting, comma-separated YYYY-MM."
    )
    park_limit: timedelta = Field(
        timedelta(hours=24), description="How long time for an unknown project waits before it is raised."
    )
    forecast_config: Path | None = Field(
        None, description="JSON file of forecast reference data: capacity calendar, FX rates, markups."
    )
    sweep_interval: timedelta = Field(
        timedelta(minutes=1), description="How often parked items are checked against the park limit."
    )
    forecast_interval: timedelta = Field(
        timedelta(seconds=10),
        description="How often a partition's changed forecasts settle and emit deltas (0: every batch).",
    )
    batch_size: int = Field(
        500, ge=1, description="Records an agent handles before it waits once for its outputs' acks."
    )
    batch_wait: timedelta = Field(
        timedelta(milliseconds=20), description="How long an agent waits to fill a batch (added latency)."
    )

    @classmethod
    def from_env(
        cls,
        overrides: Mapping[str, object] | None = None,
        environ: Mapping[str, str] = os.environ,
        defaults: Mapping[str, object] | None = None,
    ) -> Settings:
        """Read settings from the environment over `defaults`; explicit overrides win over both."""
        values: dict[str, object] = {
            "broker": DEFAULT_BROKER,
            "data_dir": cache_dir(environ) / "worker-data",
            **(defaults or {}),
        }
        for name in cls.model_fields:
            raw = environ.get(f"PSFLOW_{name.upper()}")
            if raw is not None:
                values[name] = _parse(name, raw)
        values["kafka_security"] = KafkaSecurity.from_env(environ)
        values.update(overrides or {})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise SettingsError(explain(exc)) from None

    @property
    def kafka(self) -> KafkaClients:
        """Return the factory of every Kafka client of this process (bootstrap and security applied)."""
        return KafkaClients(self.broker, self.kafka_security)

    @property
    def canonical_url(self) -> str:
        """Return the URL other workers forward a request for a key this worker owns to."""
        host = self.web_advertised_host or self.web_host
        if not host or _unspecified(host):  # a wildcard bind address: others need a name they can dial
            host = socket.gethostname()
        return f"http://{host}:{self.web_port}"

    @classmethod
    def environment_names(cls) -> frozenset[str]:
        """Return every PSFLOW_* variable a psflow process reads."""
        fields = {f"PSFLOW_{name.upper()}" for name in cls.model_fields if name != "kafka_security"}
        security = {f"PSFLOW_{name.upper()}" for name in KafkaSecurity.model_fields}
        return frozenset(fields | security | OTHER_VARIABLES)


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False  # a host name


def _parse(name: str, raw: str) -> object:
    if name in ("web_advertised_host", "operators_file") and not raw:
        return None
    if name == "closed_periods":
        return frozenset(p.strip() for p in raw.split(",") if p.strip())
    if name in ("park_limit", "sweep_interval", "batch_wait", "forecast_interval"):
        return timedelta(seconds=float(raw))
    return raw


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Return the folder psflow keeps downloads, broker data and worker data in (PSFLOW_CACHE_DIR)."""
    configured = environ.get("PSFLOW_CACHE_DIR")
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".cache"


def forecast_context(settings: Settings) -> ForecastContext:
    """Load the forecast reference data, or the documented defaults when none is configured."""
    if settings.forecast_config is None:
        return ForecastContext()
    return ForecastContext.model_validate_json(settings.forecast_config.read_bytes())
