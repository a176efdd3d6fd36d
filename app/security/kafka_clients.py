"""The one factory of every Kafka client psflow makes: producers, consumers, admin clients, connections.

Each client gets the bootstrap servers and the security settings (TLS context, SASL mechanism and
credentials) from here, so no client can be made that forgets them. The Faust app takes the same
settings through `app.runtime.runtime` (this room imports no Faust: replay uses it too).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.conn import AIOKafkaConnection, create_conn

from app.security.kafka_security import KafkaSecurity


@dataclass(frozen=True)
class KafkaClients:
    """Make Kafka clients for one cluster with its security settings applied."""

    bootstrap: str
    security: KafkaSecurity = field(default_factory=KafkaSecurity)

    @cached_property
    def _ssl(self) -> ssl.SSLContext | None:
        # One context for every client of the process: the CA and key files are read once.
        return self.security.ssl_context()

    def options(self) -> dict[str, Any]:
        """Return the aiokafka keyword arguments for bootstrap and security."""
        security = self.security
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": security.security_protocol,
        }
        if security.uses_tls:
            options["ssl_context"] = self._ssl
        if security.uses_sasl and security.sasl_password is not None:
            options["sasl_mechanism"] = security.sasl_mechanism
            options["sasl_plain_username"] = security.sasl_username
            options["sasl_plain_password"] = security.sasl_password.get_secret_value()
        return options

    def ssl_context(self) -> ssl.SSLContext | None:
        """Return the shared TLS context (None for a plaintext protocol)."""
        return self._ssl

    def producer(self, **kwargs: Any) -> AIOKafkaProducer:
        """Return a producer (not started)."""
        return AIOKafkaProducer(**self.options(), **kwargs)

    def consumer(self, *topics: str, **kwargs: Any) -> AIOKafkaConsumer:
        """Return a consumer (not started), subscribed to `topics` if any are given."""
        return AIOKafkaConsumer(*topics, **self.options(), **kwargs)

    def admin(self, **kwargs: Any) -> AIOKafkaAdminClient:
        """Return an admin client (not started)."""
        return AIOKafkaAdminClient(**self.options(), **kwargs)

    async def connection(self, host: str, port: int, timeout_s: float = 10.0) -> AIOKafkaConnection:
        """Open one authenticated connection to one broker (for the access check and low-level requests)."""
        options = self.options()
        options.pop("bootstrap_servers")
        return await create_conn(
            host, port, client_id="psflow-check", request_timeout_ms=int(timeout_s * 1000), **options
        )

    def servers(self) -> list[tuple[str, int]]:
        """Return the bootstrap servers as (host, port) pairs."""
        found = []
        for server in self.bootstrap.split(","):
            host, _, port = server.strip().rpartition(":")
            found.append((host.strip("[]") or "localhost", int(port or 9092)))
        return found
