"""No password or token appears in a log line, a CLI output or an HTTP response, whatever happens."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from app.contracts.topics import ERP_BILLING_COMMANDS
from tests.support.http import call
from tests.support.kafka_io import KafkaIO
from tests.support.operators import OPERATORS, TOKENS, credential
from tests.support.seed import EXPECTED_COMMANDS, psa_feed
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration


def _run(env: dict[str, str], *args: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PSFLOW_")}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return f"$ psflow {' '.join(args)} -> {done.returncode}\n{done.stdout}{done.stderr}"


def _logs(folder: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in folder.rglob("*.log")]


async def test_passwords_and_tokens_never_leave_in_logs_outputs_or_http_bodies(
    kafka_io: KafkaIO,
    start_worker: Callable[..., WorkerProcess],
    secrets_of: list[str],
    tmp_path: Path,
) -> None:
    # The password in the environment itself this time (not a file), the worker at INFO with a viewer gate.
    password = secrets_of[1]  # the psflow user's
    inline = {k: v for k, v in kafka_io.environment.items() if k != "PSFLOW_SASL_PASSWORD_FILE"}
    inline["PSFLOW_SASL_PASSWORD"] = password
    kafka_io.environment.clear()
    kafka_io.environment.update(inline)
    worker = start_worker(env={**credential(None), "PSFLOW_WEB_READS": "protected"})
    for spec, key, record in psa_feed():
        await kafka_io.send(spec, key, record)
    await kafka_io.read(ERP_BILLING_COMMANDS, lambda rs: len(rs) >= len(EXPECTED_COMMANDS))

    bodies = [
        call(worker.url + path, method, token, body).body.decode(errors="replace")
        for path, method, token, body in [
            ("/health", "GET", None, None),
            ("/metrics", "GET", None, None),
            ("/projects/P-ORION", "GET", None, None),
            ("/projects/P-ORION", "GET", "wrong-" + OPERATORS["vera"][0], None),
            ("/projects/P-ORION", "GET", OPERATORS["vera"][0], None),
            ("/projects/P-ORION/forecast", "GET", OPERATORS["root"][0], None),
            ("/admin/log-level", "POST", OPERATORS["ana"][0], b'{"level": "debug"}'),
            ("/admin/log-level", "POST", OPERATORS["root"][0], b'{"level": "debug"}'),
        ]
    ]
    assert '"sasl_password":"**********"' in bodies[0]  # /health shows the settings, redacted

    base = {**inline, "PSFLOW_TOPIC_PREFIX": kafka_io.prefix, "PSFLOW_APP_ID": worker.env["PSFLOW_APP_ID"]}
    viewer = {**base, **credential("vera")}
    outputs = [
        _run(base, "settings"),
        _run(base, "topics", "apply"),
        _run(viewer, "replay", "history"),
        _run({**base, **credential("ana")}, "replay", "reset", "--execute", "--reason", "x"),  # refused
        _run({**base, "PSFLOW_SASL_PASSWORD": password + "-wrong"}, "topics", "apply"),  # refused login
        _run({**viewer, "PSFLOW_OPERATOR_TOKEN": "bad-" + OPERATORS["vera"][0]}, "replay", "history"),
    ]
    assert '"sasl_password": "**********"' in outputs[0]
    assert "refused the login" in outputs[4] and "needs an operator credential" in outputs[5]

    worker.stop()
    logs = _logs(tmp_path)
    assert logs and "log level set to debug by root" in "".join(logs)
    secrets = [*secrets_of, *TOKENS]
    for where, texts in (("HTTP body", bodies), ("CLI output", outputs), ("log", logs)):
        leaked = [s[:6] for s in secrets for text in texts if s in text]
        assert not leaked, f"a secret starting {leaked} appears in a {where}"
