"""CI's dependency audit fails on a known vulnerability, never on an unreachable vulnerability service."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[3] / ".ci" / "pip_audit.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pip_audit_ci", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_known_vulnerability_fails_and_names_the_dependency() -> None:
    report = {
        "dependencies": [
            {
                "name": "aiohttp",
                "version": "3.0.0",
                "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.9.4"]}],
            },
            {"name": "orjson", "version": "3.10.0", "vulns": []},
        ]
    }
    status, lines = _script().verdict(report)
    assert status == 1
    assert "pip-audit: aiohttp 3.0.0: GHSA-xxxx (fixed in 3.9.4)" in lines


def test_a_service_that_answers_for_nothing_is_reported_as_not_audited_not_as_clean() -> None:
    skipped = {"dependencies": [{"name": "a", "skip_reason": "not found"}, {"name": "b", "skip_reason": "x"}]}
    partly = {"dependencies": [{"name": "a", "skip_reason": "not found"}, {"name": "b", "vulns": []}]}

    status, lines = _script().verdict(skipped)
    assert status == 0 and lines[0].startswith("pip-audit: dependencies NOT audited")
    status, lines = _script().verdict(partly)
    assert status == 0 and lines == [
        "pip-audit: 1 dependencies audited, no known vulnerabilities; 1 not audited (a)"
    ]


def test_an_unreachable_service_passes_the_build_and_says_so() -> None:
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    assert "pip-audit: dependencies NOT audited: the vulnerability service is unreachable" in done.stdout
