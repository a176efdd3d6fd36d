"""Check, before a process starts its clients, that it can reach, trust, log in to and use the cluster.

Kafka clients report a refused login or an untrusted certificate as "Unable to bootstrap", and a missing ACL
only when a request needs it, deep inside a worker that then retries. This check makes one connection per
bootstrap server and a few cheap requests, and turns each failure into one line that names its cause and
the setting to look at. It raises within `timeout_s`, never hangs.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence

from aiokafka.conn import AIOKafkaConnection
from aiokafka.errors import KafkaError, SaslAuthenticationFailed, UnsupportedSaslMechanismError
from aiokafka.protocol.coordination import FindCoordinatorRequest
from aiokafka.protocol.metadata import MetadataRequest

from app.security.kafka_clients import KafkaClients

TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 29, 30, 53
_GROUP, _TRANSACTION = 0, 1


class KafkaAccessError(RuntimeError):
    """The cluster cannot be reached, trusted, logged in to, or used as this process needs."""


async def check_access(
    clients: KafkaClients,
    topics: Sequence[str] = (),
    group: str | None = None,
    transactional_id: str | None = None,
    timeout_s: float = 15.0,
) -> None:
    """Raise KafkaAccessError unless the principal can connect and use the topics, group and transactions."""
    try:
        await asyncio.wait_for(_check(clients, topics, group, transactional_id, timeout_s), timeout_s)
    except TimeoutError:
        raise KafkaAccessError(
            f"Kafka at {clients.bootstrap} gave no answer in {timeout_s:.0f} s: a TLS listener dialled as "
            f"{clients.security.security_protocol}, or a firewall (PSFLOW_BROKER, PSFLOW_SECURITY_PROTOCOL)"
        ) from None


async def _check(
    clients: KafkaClients,
    topics: Sequence[str],
    group: str | None,
    transactional_id: str | None,
    timeout_s: float,
) -> None:
    connection = await _connect(clients, timeout_s)
    who = _principal(clients)
    try:
        for key, kind, code, what in (
            (group, _GROUP, GROUP_AUTHORIZATION_FAILED, "consumer group"),
            (transactional_id, _TRANSACTION, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "transactional id"),
        ):
            if key is None:
                continue
            found = await connection.send(FindCoordinatorRequest(key, kind))
            if found.error_code == code:
                raise KafkaAccessError(
                    f"{who} is not authorized to use {what} {key}: the cluster's ACLs must allow it the "
                    f"{what}s prefixed PSFLOW_APP_ID"
                )
        if topics:
            metadata = await connection.send(MetadataRequest(list(topics)))
            refused = sorted(t[1] for t in metadata.topics if t[0] == TOPIC_AUTHORIZATION_FAILED)
            if refused:
                raise KafkaAccessError(
                    f"{who} is not authorized to use topic(s) {', '.join(refused)}: the cluster's ACLs must "
                    "allow it Read, Write, Describe and Create on the topics prefixed PSFLOW_TOPIC_PREFIX "
                    "and on those prefixed PSFLOW_APP_ID (table changelogs, ticks)"
                )
    finally:
        connection.close()


async def _connect(clients: KafkaClients, timeout_s: float) -> AIOKafkaConnection:
    """Return a connection to the first bootstrap server that answers; raise on a TLS or login failure."""
    unreachable = []
    security = clients.security
    for host, port in clients.servers():
        where = f"{host}:{port}"
        try:
            return await clients.connection(host, port, timeout_s=timeout_s)
        except ssl.SSLCertVerificationError as exc:
            raise KafkaAccessError(
                f"TLS: the certificate of Kafka at {where} is not trusted ({exc.verify_message}): "
                f"PSFLOW_SSL_CA_FILE ({security.ssl_ca_file or 'the system CAs'}) must hold the CA that "
                "signed it"
            ) from None
        except ssl.SSLError as exc:
            raise KafkaAccessError(
                f"TLS handshake with Kafka at {where} failed ({exc.reason or exc}): check the listener is "
                "TLS, and PSFLOW_SSL_CERT_FILE / PSFLOW_SSL_KEY_FILE if it asks for a client certificate"
            ) from None
        except SaslAuthenticationFailed:
            raise KafkaAccessError(
                f"Kafka at {where} refused the login of {_principal(clients)} with "
                f"{security.sasl_mechanism}: wrong PSFLOW_SASL_USERNAME or password "
                "(PSFLOW_SASL_PASSWORD / PSFLOW_SASL_PASSWORD_FILE)"
            ) from None
        except UnsupportedSaslMechanismError:
            raise KafkaAccessError(
                f"Kafka at {where} does not enable SASL mechanism {security.sasl_mechanism} "
                "(PSFLOW_SASL_MECHANISM)"
            ) from None
        except (OSError, KafkaError) as exc:
            unreachable.append(f"{where} ({exc})")
    raise KafkaAccessError(
        f"cannot reach Kafka at {'; '.join(unreachable)}: check PSFLOW_BROKER, PSFLOW_SECURITY_PROTOCOL and, "
        "if the broker asks for client certificates, PSFLOW_SSL_CERT_FILE and PSFLOW_SSL_KEY_FILE"
    )


def _principal(clients: KafkaClients) -> str:
    security = clients.security
    return f"User:{security.sasl_username}" if security.uses_sasl else "this client"
