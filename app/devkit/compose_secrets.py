"""`psflow kafka secrets DIR`: the files docker-compose.secure.yml mounts, made as the local secured broker's.

A throwaway CA (keytool) with a broker certificate for the host `kafka`, a client certificate for psflow,
SCRAM passwords for `admin` and `psflow`, the broker's server.properties (app.devkit.secure_kafka.secured,
the settings the tests run the local secured broker with), the admin tools' client properties, the script
that formats the broker's storage with the SCRAM users and grants psflow its ACLs (app.devkit.kafka_acls),
and an operators file with one admin whose token is in a file of its own (never printed).
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from app.devkit.certificates import ensure_pki
from app.devkit.dev_broker import dev_topic_prefixes
from app.devkit.kafka_acls import CLUSTER, GROUP, PREFIXED, TOPIC, TRANSACTIONAL_ID, Grant, psflow_grants
from app.devkit.kafka_process import random_cluster_id
from app.devkit.local_kafka import SINGLE_NODE
from app.devkit.secure_kafka import ADMIN, MECHANISM, PSFLOW, secured
from app.security.operators import token_hash

MOUNT = "/run/secrets"
# Every file docker-compose.secure.yml mounts (tests/unit/deploy checks the two agree).
FILES = (
    "ca.pem",
    "broker.p12",
    "client.pem",
    "client.key",
    "admin.password",
    "psflow.password",
    "server.properties",
    "admin.properties",
    "kafka-start.sh",
    "operators.json",
    "operator.token",
)
_OPERATIONS = {
    3: "Read",
    4: "Write",
    5: "Create",
    8: "Describe",
    10: "DescribeConfigs",
    12: "IdempotentWrite",
}
_RESOURCES = {TOPIC: "--topic", GROUP: "--group", TRANSACTIONAL_ID: "--transactional-id"}


def write(folder: Path, host: str = "kafka", app_id: str = "psflow") -> list[Path]:
    """Make every file of the secured compose stack in `folder`; return them."""
    pki = ensure_pki(folder / ".pki", san=f"SAN=dns:{host},dns:localhost")
    for name, source in (
        ("ca.pem", pki.ca_pem),
        ("broker.p12", pki.broker_keystore),
        ("client.pem", pki.client_cert),
        ("client.key", pki.client_key),
    ):
        shutil.copyfile(source, folder / name)
    passwords = {user: _kept(folder / f"{user}.password", _password) for user in (ADMIN, PSFLOW)}
    store = f"{MOUNT}/broker.p12"
    properties = {
        **SINGLE_NODE,
        "controller.quorum.voters": f"1@{host}:9094",
        "listeners": "SASL_SSL://:9093,CONTROLLER://:9094",
        "advertised.listeners": f"SASL_SSL://{host}:9093",
        "log.dirs": "/var/lib/kafka/data",
        **secured(store, pki.store_password, passwords[ADMIN]),
    }
    (folder / "server.properties").write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
    tools = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": MECHANISM,
        "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{ADMIN}" password="{passwords[ADMIN]}";',
        **{f"ssl.{kind}.{key}": value for kind in ("truststore", "keystore") for key, value in (
            ("type", "PKCS12"), ("location", store), ("password", pki.store_password))},
    }  # fmt: skip
    (folder / "admin.properties").write_text("".join(f"{k}={v}\n" for k, v in tools.items()))
    grants = psflow_grants(dev_topic_prefixes(), app_id)
    (folder / "kafka-start.sh").write_text(_start_script(host, grants))
    token = _kept(folder / "operator.token", _password)
    operators = {token_hash(token): {"name": "compose-admin", "roles": ["admin"]}}
    (folder / "operators.json").write_text(json.dumps(operators, indent=2) + "\n")
    for name in FILES:
        # Read by the containers' own users (the psflow image runs as uid 10001): throwaway, local secrets.
        (folder / name).chmod(0o644)
    return [folder / name for name in FILES]


def _password() -> str:
    return secrets.token_urlsafe(24)


def _kept(path: Path, new: Callable[[], str]) -> str:
    """Return the secret in `path`, made by `new()` on first use (a second run keeps the passwords)."""
    if not path.is_file():
        path.write_text(new() + "\n")
    return path.read_text().strip()


def _start_script(host: str, grants: list[Grant]) -> str:
    # One kafka-acls run (one JVM) per resource, with every operation it needs.
    by_resource: dict[tuple[int, str, int], list[str]] = {}
    for g in grants:
        by_resource.setdefault((g.resource_type, g.name, g.pattern), []).append(_OPERATIONS[g.operation])
    acls = []
    for (kind, name, pattern), operations in by_resource.items():
        resource = "--cluster" if kind == CLUSTER else f"{_RESOURCES[kind]} '{name}'"
        prefixed = " --resource-pattern-type prefixed" if pattern == PREFIXED else ""
        acls.append(
            f"  /opt/kafka/bin/kafka-acls.sh --bootstrap-server {host}:9093 --command-config "
            f"{MOUNT}/admin.properties --add --allow-principal User:{PSFLOW} "
            + " ".join(f"--operation {op}" for op in operations)
            + f" {resource}{prefixed} >/dev/null"
        )
    return "\n".join(
        [
            "#!/usr/bin/env bash",
            "# Written by `psflow kafka secrets`: format with SCRAM users, start, grant psflow its ACLs.",
            "set -euo pipefail",
            f"admin=$(cat {MOUNT}/admin.password); psflow=$(cat {MOUNT}/psflow.password)",
            f"/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t {random_cluster_id()} "
            f"-c {MOUNT}/server.properties "
            f'--add-scram "{MECHANISM}=[name={ADMIN},password=$admin]" '
            f'--add-scram "{MECHANISM}=[name={PSFLOW},password=$psflow]" >/dev/null',
            "(",
            f"  until /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server {host}:9093 "
            f"--command-config {MOUNT}/admin.properties >/dev/null 2>&1; do sleep 1; done",
            *acls,
            ") &",
            f"exec /opt/kafka/bin/kafka-server-start.sh {MOUNT}/server.properties",
            "",
        ]
    )
