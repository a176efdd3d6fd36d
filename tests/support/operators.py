"""Test operators: a token per role, the operators file listing their hashes, a process's credential."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

from app.security.operators import token_hash

# name -> (token, roles); tokens long and random-looking, as a real deployment's would be.
OPERATORS: dict[str, tuple[str, list[str]]] = {
    "vera": ("tok-viewer-5b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e", ["viewer"]),
    "ana": ("tok-operator-0a1b2c3d4e5f60718293a4b5c6d7e8f9", ["operator"]),
    "root": ("tok-admin-f9e8d7c6b5a4938271605f4e3d2c1b0a", ["admin"]),
}
TOKENS = [token for token, _ in OPERATORS.values()]


@cache
def operators_file() -> Path:
    """Return an operators file listing every test operator by the SHA-256 of its token (no token in it)."""
    path = Path(tempfile.mkdtemp(prefix="psflow-operators-")) / "operators.json"
    entries = {
        token_hash(token): {"name": name, "roles": roles} for name, (token, roles) in OPERATORS.items()
    }
    path.write_text(json.dumps(entries, indent=2))
    return path


def credential(name: str | None) -> dict[str, str]:
    """Return the PSFLOW_* variables of a process run by operator `name` (None: no credential at all)."""
    env = {"PSFLOW_OPERATORS_FILE": str(operators_file())}
    if name is not None:
        env["PSFLOW_OPERATOR_TOKEN"] = OPERATORS[name][0]
    return env
