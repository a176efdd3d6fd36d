"""`psflow kafka up --secure`: a SASL_SSL developer broker that psflow commands use with no settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.devkit import dev_broker
from app.devkit.local_kafka import free_ports, pid_is_alive
from tests.integration.devkit.test_local_kafka import _psflow, cli_cache

__all__ = ["cli_cache"]


@pytest.mark.integration
@pytest.mark.slow
def test_kafka_up_secure_serves_sasl_ssl_and_commands_find_it(
    cli_cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PSFLOW_BROKER", "PSFLOW_SECURITY_PROTOCOL", "PSFLOW_TOPIC_PREFIX", "PSFLOW_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    (port,) = free_ports()

    status, bootstrap = _psflow(capsys, "kafka", "up", "--secure", "--port", str(port))
    state = json.loads((cli_cache / "kafka" / "local.json").read_text())

    assert (status, bootstrap) == (0, f"127.0.0.1:{port}")
    assert state["environment"]["PSFLOW_SECURITY_PROTOCOL"] == "SASL_SSL"
    password = Path(state["environment"]["PSFLOW_SASL_PASSWORD_FILE"]).read_text().strip()
    assert password not in json.dumps(state)  # the state names the password's file, never the password
    assert _psflow(capsys, "kafka", "up") == (1, "")  # a plaintext one is not started beside it

    # No PSFLOW_* at all: the command logs in as `psflow` with the recorded client settings.
    status, report = _psflow(capsys, "topics", "apply")
    assert status == 0, report
    assert "created   psa.projects" in report and password not in report

    assert _psflow(capsys, "kafka", "down")[0] == 0
    assert not pid_is_alive(state["pid"])
    assert dev_broker.recorded_bootstrap() is None
