"""Grant a principal exactly what a psflow deployment needs, with the broker's own ACL requests.

What psflow needs of a cluster with an authorizer (the README's "Production" section lists it too):
its topics (the catalog under its topic prefix, and the changelogs and tick topic named after its app id),
its consumer group and transactional ids (named after its app id), and idempotent writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.protocol.admin import CreateAclsRequest

from app.security.kafka_clients import KafkaClients

# Kafka's wire codes (org.apache.kafka.common.acl / resource).
TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID = 2, 3, 4, 5
LITERAL, PREFIXED = 3, 4
READ, WRITE, CREATE, DESCRIBE, DESCRIBE_CONFIGS, IDEMPOTENT_WRITE = 3, 4, 5, 8, 10, 12
ALLOW = 3

TOPIC_OPERATIONS = (READ, WRITE, CREATE, DESCRIBE, DESCRIBE_CONFIGS)


@dataclass(frozen=True)
class Grant:
    """One ACL: allow `principal` `operation` on a resource (a literal name or a name prefix)."""

    resource_type: int
    name: str
    pattern: int
    operation: int


def psflow_grants(topic_prefixes: list[str], app_prefix: str) -> list[Grant]:
    """Return the ACLs of a psflow principal: its topic prefixes, and everything named after its app id."""
    grants = [
        Grant(TOPIC, prefix, PREFIXED, operation)
        for prefix in [*topic_prefixes, app_prefix]
        for operation in TOPIC_OPERATIONS
    ]
    grants += [Grant(GROUP, app_prefix, PREFIXED, op) for op in (READ, DESCRIBE)]
    grants += [Grant(TRANSACTIONAL_ID, app_prefix, PREFIXED, op) for op in (WRITE, DESCRIBE)]
    grants.append(Grant(CLUSTER, "kafka-cluster", LITERAL, IDEMPOTENT_WRITE))
    return grants


async def grant(admin: KafkaClients, principal: str, grants: list[Grant]) -> None:
    """Create the ACLs through a super user's connection; raise if the broker refuses any."""
    host, port = admin.servers()[0]
    connection = await admin.connection(host, port)
    try:
        for g in grants:
            request = CreateAclsRequest(
                g.resource_type, g.name, g.pattern, principal, "*", g.operation, ALLOW
            )
            response = await connection.send(request)
            for error_code, error_message in response.creation_responses:
                if error_code != 0:
                    raise RuntimeError(
                        f"creating ACL {g} for {principal} failed: {error_code} {error_message}"
                    )
    finally:
        connection.close()
