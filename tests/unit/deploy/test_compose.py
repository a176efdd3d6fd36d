"""Compose files and the Dockerfile, checked as far as honest with no Docker engine.

Nothing here starts a container (no engine runs where psflow is developed): the files are parsed, every
PSFLOW_* variable is checked against the settings model and read by it, the Kafka image against the version
the project runs locally, the scaling rules (no host port, no shared state, a hostname per container)
against the worker service, and the image's entrypoint is run here as `psflow --help`.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.devkit import compose_secrets
from app.devkit.kafka_jars import kafka_version
from app.devkit.local_kafka import SINGLE_NODE
from app.runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
PSFLOW_SERVICES = ("topics", "worker", "ops")


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return loaded


def _merged(*files: str) -> dict[str, dict[str, Any]]:
    """Merge compose files the way `docker compose -f a -f b` does for the keys used here."""
    services: dict[str, dict[str, Any]] = {}
    for name in files:
        for service, spec in _load(name)["services"].items():
            merged = services.setdefault(service, {})
            for key, value in spec.items():
                if key == "environment":
                    merged["environment"] = {**merged.get("environment", {}), **value}
                else:
                    merged[key] = value
    return services


VARIANTS = {"plain": ("docker-compose.yml",), "sasl_ssl": ("docker-compose.yml", "docker-compose.secure.yml")}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_psflow_variable_of_every_service_is_a_setting_and_reads(variant: str, tmp_path: Path) -> None:
    services = _merged(*VARIANTS[variant])
    known = Settings.environment_names()
    for name in PSFLOW_SERVICES:
        env = {k: str(v) for k, v in services[name]["environment"].items()}
        assert set(env) <= known, (name, set(env) - known)
        mounted = set(services[name].get("secrets", []))
        stand_ins = {}
        for key, value in env.items():
            if value.startswith("/run/secrets/"):
                assert Path(value).name in mounted, f"{name}: {key} names a secret it does not mount"
                stand_in = tmp_path / Path(value).name
                stand_in.write_text("[]" if value.endswith(".json") else "stand-in\n")
                stand_ins[key] = str(stand_in)
        settings = Settings.from_env(environ={**env, **stand_ins})  # raises on a wrong value
        if variant == "sasl_ssl":
            assert settings.kafka_security.security_protocol == "SASL_SSL"
            assert settings.kafka_security.ssl_cert_file is not None  # the broker asks for mutual TLS


def test_the_kafka_image_is_the_version_the_project_runs_and_configured_like_it() -> None:
    kafka = _load("docker-compose.yml")["services"]["kafka"]
    assert kafka["image"] == f"apache/kafka:{kafka_version()}"
    env = {k: str(v) for k, v in kafka["environment"].items()}
    for key, value in SINGLE_NODE.items():
        assert env.get("KAFKA_" + key.upper().replace(".", "_")) == value, key


def test_workers_scale_no_host_port_no_shared_state_own_hostname() -> None:
    worker = _load("docker-compose.yml")["services"]["worker"]
    for variant in VARIANTS.values():
        merged = _merged(*variant)["worker"]
        assert "ports" not in merged and "container_name" not in merged and "hostname" not in merged
        named = [v for v in merged.get("volumes", []) if ":" in str(v)]
        assert named == [], "a volume shared by every replica"
    env = worker["environment"]
    settings = Settings.from_env(environ={k: str(v) for k, v in env.items()})
    # Bound to every interface, so each replica advertises its own container hostname to the others.
    assert settings.canonical_url == f"http://{socket.gethostname()}:{env['PSFLOW_WEB_PORT']}"
    assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_the_secure_variant_mounts_exactly_what_psflow_kafka_secrets_makes() -> None:
    declared = _load("docker-compose.secure.yml")["secrets"]
    assert {Path(s["file"]).name for s in declared.values()} == set(compose_secrets.FILES)
    assert all(s["file"] == f"./secrets/{name}" for name, s in declared.items())
    assert "secrets/" in (ROOT / ".gitignore").read_text().split()  # never committed


def test_the_image_entrypoint_is_psflow_and_runs_help() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = dict(re.findall(r"^(ENTRYPOINT|CMD) (\[.*\])$", dockerfile, re.MULTILINE))
    entrypoint, command = json.loads(instructions["ENTRYPOINT"]), json.loads(instructions["CMD"])
    assert (entrypoint, command) == (["psflow"], ["--help"])
    copied = set(re.findall(r"^COPY (\S+) \S+$", dockerfile, re.MULTILINE))
    assert {"app", "agents", "tables", "replay", "domain", "avro", "kafka"} <= copied
    assert re.search(r"^USER (?!root)\S+$", dockerfile, re.MULTILINE), "the image runs as root"

    program = Path(sys.executable).parent / entrypoint[0]  # the console script pip installs, as in the image
    done = subprocess.run([str(program), *command], capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: psflow")
    for group in ("kafka", "topics", "worker", "replay", "settings"):
        assert group in done.stdout
