"""A local broker as production runs one: SASL_SSL (SCRAM-SHA-512 over mutual TLS) and ACLs.

`SecureKafka` is `LocalKafka` with a throwaway CA (app.devkit.certificates), SCRAM users bootstrapped when its
storage is formatted (`kafka-storage format --add-scram`), one SASL_SSL listener for clients and for the
broker itself, a TLS controller listener, and `StandardAuthorizer`: `admin` and the broker's certificate are
super users, the `psflow` user gets only the ACLs app.devkit.kafka_acls grants.
"""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiokafka.protocol.coordination import FindCoordinatorRequest
from aiokafka.protocol.metadata import MetadataRequest
from pydantic import SecretStr

from app.devkit.certificates import BROKER_DN, Pki, ensure_pki
from app.devkit.kafka_acls import grant, psflow_grants
from app.devkit.kafka_process import HOST
from app.devkit.local_kafka import LocalKafka
from app.security.kafka_clients import KafkaClients
from app.security.kafka_security import KafkaSecurity

ADMIN, PSFLOW = "admin", "psflow"
MECHANISM = "SCRAM-SHA-512"


class SecureKafka(LocalKafka):
    """A single-node KRaft broker with SASL_SSL, SCRAM users `admin` and `psflow`, and ACLs."""

    def __init__(
        self,
        data_dir: Path,
        topic_prefixes: list[str],
        app_prefix: str,
        port: int | None = None,
        heap_mb: int = 512,
    ) -> None:
        super().__init__(data_dir, port=port, heap_mb=heap_mb)
        self.topic_prefixes = topic_prefixes
        self.app_prefix = app_prefix
        self._pki: Pki | None = None

    @property
    def pki(self) -> Pki:
        """Return the broker's CA and certificates (made on first start)."""
        if self._pki is None:
            self._pki = ensure_pki(self.data_dir / "tls")
        return self._pki

    def password_file(self, user: str) -> Path:
        """Return the file holding a SCRAM user's password (made on first use, owner-only)."""
        path = self.data_dir / "secrets" / f"{user}.password"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(secrets.token_urlsafe(24) + "\n")
            path.chmod(0o600)
        return path

    def security(self, user: str = PSFLOW) -> KafkaSecurity:
        """Return the client settings of a SCRAM user (with the client certificate the broker asks for)."""
        return KafkaSecurity(
            security_protocol="SASL_SSL",
            sasl_mechanism=MECHANISM,
            sasl_username=user,
            sasl_password=SecretStr(self.password_file(user).read_text().strip()),
            ssl_ca_file=self.pki.ca_pem,
            ssl_cert_file=self.pki.client_cert,
            ssl_key_file=self.pki.client_key,
        )

    def clients(self, user: str = PSFLOW) -> KafkaClients:
        """Return the client factory of a SCRAM user on this broker."""
        return KafkaClients(self.bootstrap, self.security(user))

    def environment(self, user: str = PSFLOW) -> dict[str, str]:
        """Return the PSFLOW_* variables a psflow process needs to talk to this broker as `user`."""
        return {
            "PSFLOW_BROKER": self.bootstrap,
            "PSFLOW_SECURITY_PROTOCOL": "SASL_SSL",
            "PSFLOW_SASL_MECHANISM": MECHANISM,
            "PSFLOW_SASL_USERNAME": user,
            "PSFLOW_SASL_PASSWORD_FILE": str(self.password_file(user)),
            "PSFLOW_SSL_CA_FILE": str(self.pki.ca_pem),
            "PSFLOW_SSL_CERT_FILE": str(self.pki.client_cert),
            "PSFLOW_SSL_KEY_FILE": str(self.pki.client_key),
        }

    def start(self, timeout_s: float = 120) -> str:
        """Start the broker, then grant the psflow user its ACLs (idempotent); return the bootstrap."""
        bootstrap = super().start(timeout_s)
        grants = psflow_grants(self.topic_prefixes, self.app_prefix)
        _in_own_loop(grant(self.clients(ADMIN), f"User:{PSFLOW}", grants))
        _in_own_loop(_coordinators_ready(self.clients(ADMIN), timeout_s))
        return bootstrap

    def _prepare(self) -> None:
        self.pki  # noqa: B018 - made before the properties name its files
        for user in (ADMIN, PSFLOW):
            self.password_file(user)

    def _properties(self) -> dict[str, str]:
        pki, port, controller = self.pki, self.port, self.controller_port
        admin_password = self.password_file(ADMIN).read_text().strip()
        return {
            **super()._properties(),
            "listeners": f"SASL_SSL://{HOST}:{port},CONTROLLER://{HOST}:{controller}",
            "advertised.listeners": f"SASL_SSL://{HOST}:{port}",
            **secured(str(pki.broker_keystore), pki.store_password, admin_password),
        }

    def _format_options(self) -> list[str]:
        options = []
        for user in (ADMIN, PSFLOW):
            password = self.password_file(user).read_text().strip()
            options += ["--add-scram", f"{MECHANISM}=[name={user},password={password}]"]
        return options

    def _answered_cluster_id(self) -> str | None:
        try:
            answered = _in_own_loop(_cluster_id(self.clients(ADMIN)))
        except Exception:
            return None  # not serving yet (or not yet knowing the SCRAM users): poll again
        return answered if isinstance(answered, str) else None


def secured(keystore: str, store_password: str, admin_password: str) -> dict[str, str]:
    """Return what secures a broker: SASL_SSL (SCRAM over mutual TLS), a TLS controller listener, ACLs.

    `admin` and the broker's certificate are the super users; the local broker and the compose file's
    (app.devkit.compose_secrets) both run with these.
    """
    return {
        "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:SSL",
        "inter.broker.listener.name": "SASL_SSL",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        # The broker's own connections to itself (transaction markers) log in as the admin user.
        f"listener.name.sasl_ssl.{MECHANISM.lower()}.sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{ADMIN}" password="{admin_password}";'
        ),
        # Mutual TLS everywhere: a client needs a certificate the CA signed as well as a SCRAM login
        # (a SASL_SSL listener ignores the unprefixed setting).
        "ssl.client.auth": "required",
        "listener.name.sasl_ssl.ssl.client.auth": "required",
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": keystore,
        "ssl.keystore.password": store_password,
        "ssl.key.password": store_password,
        # The keystore also holds the CA as a trusted entry: the broker trusts what the CA signed.
        "ssl.truststore.type": "PKCS12",
        "ssl.truststore.location": keystore,
        "ssl.truststore.password": store_password,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        # The controller listener authenticates the broker by its certificate's name.
        "super.users": f"User:{ADMIN};User:{BROKER_DN}",
        "allow.everyone.if.no.acl.found": "false",
    }


async def _cluster_id(admin: KafkaClients) -> str | None:
    host, port = admin.servers()[0]
    connection = await asyncio.wait_for(admin.connection(host, port, timeout_s=2.0), 3.0)
    try:
        response = await connection.send(MetadataRequest([]))
    finally:
        connection.close()
    cluster_id: str | None = getattr(response, "cluster_id", None)
    return cluster_id if response.brokers else None


async def _coordinators_ready(admin: KafkaClients, timeout_s: float) -> None:
    """Wait until the group and transaction coordinators answer (their topics are made on first use)."""
    host, port = admin.servers()[0]
    connection = await admin.connection(host, port)
    deadline = asyncio.get_running_loop().time() + timeout_s
    try:
        for kind in (0, 1):  # consumer groups, then transactions
            while (await connection.send(FindCoordinatorRequest("psflow-warm-up", kind))).error_code != 0:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"Kafka's coordinators did not come up in {timeout_s:.0f} s")
                await asyncio.sleep(0.2)  # polling interval while the broker creates its internal topic
    finally:
        connection.close()


def _in_own_loop(coroutine: object) -> object:
    """Run a coroutine to completion in a fresh event loop, even when called from inside a running one."""
    # start() is synchronous and also called from async tests and fixtures: a thread gets its own loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()  # type: ignore[arg-type]
