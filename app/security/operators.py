"""Operators' credentials: a bearer token, looked up by its SHA-256 in the operators file.

The file (PSFLOW_OPERATORS_FILE) maps the hex SHA-256 of each token to a name and roles, so it holds no
token; a token leaked from it is not a token. `printf %s "$TOKEN" | sha256sum` gives its key.

    {"9f86d0...": {"name": "ana", "roles": ["operator"]}, "60303a...": {"name": "root", "roles": ["admin"]}}

A command line process takes its operator's token from PSFLOW_OPERATOR_TOKEN or PSFLOW_OPERATOR_TOKEN_FILE;
the worker's HTTP server from `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.security.authorization import Operator, Role
from app.security.kafka_security import SettingsError, read_secret_file

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CredentialError(SettingsError):
    """The operators file or the operator's credential is missing, unreadable or malformed."""


def token_hash(token: str) -> str:
    """Return the key of a token in the operators file: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class OperatorRegistry:
    """The configured operators, by the SHA-256 of their tokens."""

    by_hash: Mapping[str, Operator]

    @classmethod
    def load(cls, path: Path) -> OperatorRegistry:
        """Read and check an operators file."""
        try:
            raw = json.loads(path.read_text())
        except OSError as exc:
            raise CredentialError(f"PSFLOW_OPERATORS_FILE: cannot read {path} ({exc.strerror})") from None
        except ValueError as exc:
            raise CredentialError(f"PSFLOW_OPERATORS_FILE: {path} is not JSON ({exc})") from None
        return cls.parse(raw, str(path))

    @classmethod
    def parse(cls, raw: object, where: str = "operators") -> OperatorRegistry:
        """Check the decoded operators file: hex SHA-256 keys, each a name and known roles."""
        if not isinstance(raw, dict):
            raise CredentialError(f"{where}: expected an object of token SHA-256 -> operator")
        found: dict[str, Operator] = {}
        for key, entry in raw.items():
            if not _SHA256.match(key):
                # Never echo the key: if it is not a hash, it may be a token pasted in by mistake.
                raise CredentialError(f"{where}: a key is not a lowercase hex SHA-256 (never store tokens)")
            if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
                raise CredentialError(f"{where}: every operator needs a name")
            roles = entry.get("roles")
            if not isinstance(roles, list) or not roles:
                raise CredentialError(f"{where}: {entry['name']} needs a list of roles")
            try:
                granted = frozenset(Role.named(str(r)) for r in roles)
            except ValueError as exc:
                raise CredentialError(f"{where}: {entry['name']}: {exc}") from None
            found[key] = Operator(str(entry["name"]).strip(), granted)
        return cls(found)

    def identify(self, token: str | None) -> Operator | None:
        """Return the operator a token belongs to, None for no token or an unknown one."""
        if not token:
            return None
        digest = token_hash(token)
        match = None
        for key, operator in self.by_hash.items():
            # Compare every entry in constant time: how long a lookup takes says nothing about the hashes.
            if hmac.compare_digest(key, digest):
                match = operator
        return match


def token_from_env(environ: Mapping[str, str] = os.environ) -> str | None:
    """Return the operator token of this process (PSFLOW_OPERATOR_TOKEN or _FILE), None if there is none."""
    token, path = environ.get("PSFLOW_OPERATOR_TOKEN"), environ.get("PSFLOW_OPERATOR_TOKEN_FILE")
    if token and path:
        raise CredentialError("set PSFLOW_OPERATOR_TOKEN or PSFLOW_OPERATOR_TOKEN_FILE, not both")
    if path:
        return read_secret_file(Path(path), "PSFLOW_OPERATOR_TOKEN_FILE")
    return token or None
