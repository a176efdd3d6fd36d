"""Replay runs as the operator of a credential, with the role its action needs; the audit names them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.kafka_io import KafkaIO
from tests.support.operators import TOKENS
from tests.support.replay_drills import cli

pytestmark = pytest.mark.integration


def _quiet(*runs: object) -> None:
    """Assert no operator token appears in any output of the runs."""
    for run in runs:
        output = getattr(run, "stdout", "") + getattr(run, "stderr", "")
        assert not [t for t in TOKENS if t in output], "an operator token was printed"


async def test_apply_needs_an_operator_credential_refuses_a_viewer_and_audits_the_operator(
    kafka_io: KafkaIO, tmp_path: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    planned = cli(kafka_io, "plan", "--project", "P-A", "--out", str(plan_file), operator="vera")
    previewed = cli(kafka_io, "preview", "--plan", str(plan_file), operator="vera")
    assert (planned.returncode, previewed.returncode) == (0, 0), planned.stderr + previewed.stderr

    anonymous = cli(kafka_io, "apply", "--plan", str(plan_file), "--reason", "fix", operator=None)
    assert anonymous.returncode == 2
    assert "replay apply needs an operator credential (role operator)" in anonymous.stderr
    assert "PSFLOW_OPERATOR_TOKEN" in anonymous.stderr

    viewer = cli(kafka_io, "apply", "--plan", str(plan_file), "--reason", "fix", operator="vera")
    assert viewer.returncode == 2
    assert "replay apply needs role operator; vera has viewer" in viewer.stderr

    impostor = cli(kafka_io, "apply", "--plan", str(plan_file), "--reason", "fix", "--operator", "root")
    assert impostor.returncode == 2
    assert "--operator root is not the operator of the credential (ana)" in impostor.stderr

    not_admin = cli(kafka_io, "reset", "--execute", "--reason", "rebuild", operator="ana")
    assert not_admin.returncode == 2
    assert "replay reset --execute needs role admin; ana has operator" in not_admin.stderr

    applied = cli(kafka_io, "apply", "--plan", str(plan_file), "--reason", "fix", operator="ana")
    assert applied.returncode == 0, applied.stderr

    listed = cli(kafka_io, "history", "--json", operator="vera")
    audits = [json.loads(line) for line in listed.stdout.splitlines()]
    by_result = {(a["action"], a["result"], a["operator"]) for a in audits}
    assert ("APPLY", "SUCCEEDED", "ana") in by_result
    assert ("APPLY", "REFUSED", "vera") in by_result  # the viewer's attempt, under the viewer's name
    assert ("RESET", "REFUSED", "ana") in by_result
    assert ("PREVIEW", "DRY_RUN", "vera") in by_result
    assert {a["operator"] for a in audits} <= {"vera", "ana"}  # nobody unauthenticated, no free text
    _quiet(planned, previewed, anonymous, viewer, impostor, not_admin, applied, listed)
