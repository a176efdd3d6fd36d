"""`psflow kafka secrets`: every file docker-compose.secure.yml mounts, consistent, no secret in scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.devkit import compose_secrets
from app.security.operators import token_hash


@pytest.mark.slow
def test_the_compose_secrets_are_complete_consistent_and_kept_on_a_second_run(tmp_path: Path) -> None:
    written = compose_secrets.write(tmp_path)

    assert [p.name for p in written] == list(compose_secrets.FILES) and all(p.is_file() for p in written)
    admin, psflow = ((tmp_path / f"{u}.password").read_text().strip() for u in ("admin", "psflow"))
    server = dict(line.split("=", 1) for line in (tmp_path / "server.properties").read_text().splitlines())
    assert server["advertised.listeners"] == "SASL_SSL://kafka:9093"
    assert server["ssl.keystore.location"] == "/run/secrets/broker.p12"
    assert f'password="{admin}"' in server["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"]
    assert f'password="{admin}"' in (tmp_path / "admin.properties").read_text()
    start = (tmp_path / "kafka-start.sh").read_text()
    assert admin not in start and psflow not in start  # read from the mounted files at start
    assert "--allow-principal User:psflow" in start and "--operation IdempotentWrite --cluster" in start
    token = (tmp_path / "operator.token").read_text().strip()
    operators = json.loads((tmp_path / "operators.json").read_text())
    assert operators == {token_hash(token): {"name": "compose-admin", "roles": ["admin"]}}

    compose_secrets.write(tmp_path)  # a second run keeps the passwords the broker was formatted with
    assert (tmp_path / "psflow.password").read_text().strip() == psflow
