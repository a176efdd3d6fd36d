"""The operators file maps token hashes to operators; a process's token comes from a variable or a file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from app.security.authorization import Operator, Role
from app.security.operators import CredentialError, OperatorRegistry, token_from_env, token_hash

TOKEN = "s3cr3t-token-of-ana"


def test_a_token_is_found_by_its_sha256_and_an_unknown_one_is_nobody(tmp_path: Path) -> None:
    path = tmp_path / "operators.json"
    path.write_text(json.dumps({token_hash(TOKEN): {"name": "ana", "roles": ["viewer", "operator"]}}))

    registry = OperatorRegistry.load(path)

    assert token_hash(TOKEN) == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert registry.identify(TOKEN) == Operator("ana", frozenset({Role.VIEWER, Role.OPERATOR}))
    assert registry.identify(TOKEN + "x") is None
    assert registry.identify("") is None and registry.identify(None) is None
    assert TOKEN not in path.read_text()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({TOKEN: {"name": "ana", "roles": ["admin"]}}, "not a lowercase hex SHA-256"),
        ({"ab" * 32: {"roles": ["admin"]}}, "needs a name"),
        ({"ab" * 32: {"name": "ana", "roles": []}}, "needs a list of roles"),
        ({"ab" * 32: {"name": "ana", "roles": ["root"]}}, "unknown role 'root'"),
        (["ana"], "expected an object"),
    ],
)
def test_a_malformed_operators_file_is_refused_without_echoing_a_token(raw: object, message: str) -> None:
    with pytest.raises(CredentialError, match=message) as refused:
        OperatorRegistry.parse(raw)
    assert TOKEN not in str(refused.value)


def test_an_unreadable_operators_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="PSFLOW_OPERATORS_FILE: cannot read"):
        OperatorRegistry.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CredentialError, match="is not JSON"):
        OperatorRegistry.load(tmp_path / "bad.json")


def test_the_token_comes_from_the_variable_or_the_file_never_both(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")

    assert token_from_env({"PSFLOW_OPERATOR_TOKEN": TOKEN}) == TOKEN
    assert token_from_env({"PSFLOW_OPERATOR_TOKEN_FILE": str(token_file)}) == TOKEN
    assert token_from_env({}) is None
    with pytest.raises(CredentialError, match="not both"):
        token_from_env({"PSFLOW_OPERATOR_TOKEN": TOKEN, "PSFLOW_OPERATOR_TOKEN_FILE": str(token_file)})
