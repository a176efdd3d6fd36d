"""A wrong password, an untrusted CA and a missing ACL each stop a psflow process at once, saying why."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.devkit.certificates import keytool, make_ca
from app.devkit.kafka_jars import find_java
from app.devkit.secure_kafka import SecureKafka
from tests.integration.security.conftest import APP_PREFIX, TOPIC_PREFIX
from tests.support.kafka_io import unique_prefix

pytestmark = pytest.mark.integration

# Long enough for a Python start with Faust imported on a busy 2-core machine, far short of any retry loop.
FAST_S = 30.0


def _psflow(env: dict[str, str], *args: str) -> tuple[int, str, float]:
    """Run a psflow command; return its exit status, its whole output and how long it took."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PSFLOW_")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def _worker_env(base: dict[str, str], tmp_path: Path, app_id: str) -> dict[str, str]:
    prefix = TOPIC_PREFIX + unique_prefix()
    return {
        **base,
        "PSFLOW_APP_ID": app_id,
        "PSFLOW_TOPIC_PREFIX": prefix,
        "PSFLOW_DATA_DIR": str(tmp_path / "data"),
        "PSFLOW_WEB_PORT": "0",
    }


def test_a_wrong_password_stops_the_worker_at_once_naming_the_login(
    secure_kafka: SecureKafka, kafka_env: dict[str, str], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password\n")
    env = {**_worker_env(kafka_env, tmp_path, APP_PREFIX + "x"), "PSFLOW_SASL_PASSWORD_FILE": str(wrong)}

    status, output, took = _psflow(env, "worker")

    assert status != 0 and took < FAST_S, (status, took, output[-2000:])
    assert "refused the login of User:psflow with SCRAM-SHA-512" in output, output[-2000:]
    assert "not-the-password" not in output


def test_an_untrusted_ca_stops_topics_apply_at_once_naming_the_certificate(
    kafka_env: dict[str, str], tmp_path: Path
) -> None:
    java = find_java()
    make_ca(keytool(java), tmp_path / "other.p12", tmp_path / "other.pem", "throwaway", "CN=another CA")
    env = {**kafka_env, "PSFLOW_SSL_CA_FILE": str(tmp_path / "other.pem")}
    env["PSFLOW_TOPIC_PREFIX"] = TOPIC_PREFIX + unique_prefix()

    status, output, took = _psflow(env, "topics", "apply")

    assert status != 0 and took < FAST_S, (status, took, output[-2000:])
    assert "TLS: the certificate of Kafka at" in output and "is not trusted" in output, output[-2000:]
    assert str(tmp_path / "other.pem") in output  # names the CA file it was given


def test_a_worker_group_without_an_acl_stops_at_once_naming_the_group(
    kafka_env: dict[str, str], tmp_path: Path
) -> None:
    # Topics inside the ACLs, but an app id (consumer group, transactional ids) outside them.
    env = _worker_env(kafka_env, tmp_path, "psflow-elsewhere")

    status, output, took = _psflow(env, "worker")

    assert status != 0 and took < FAST_S, (status, took, output[-2000:])
    assert "User:psflow is not authorized to use consumer group psflow-elsewhere" in output, output[-2000:]


def test_topics_outside_the_acls_are_refused_at_once_naming_them(kafka_env: dict[str, str]) -> None:
    env = {**kafka_env, "PSFLOW_TOPIC_PREFIX": "other."}

    status, output, took = _psflow(env, "topics", "apply")

    assert status != 0 and took < FAST_S, (status, took, output[-2000:])
    assert "User:psflow is not authorized to use topic(s) other.erp.accounting-periods" in output, output
