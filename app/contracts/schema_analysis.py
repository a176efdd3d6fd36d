"""Read one Avro schema document as the gate sees it: parsed by both libraries, its docs, types and hashes.

Pure functions of schema text; `app.contracts.schema_rules` turns what they find into the gate's problems.
"""

from __future__ import annotations

import copy
import hashlib
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import avro.errors
import avro.schema
import fastavro.schema


class SchemaError(ValueError):
    """Schema text that is not a valid, self-contained Avro record for both fastavro and Apache avro."""


@dataclass(frozen=True)
class ParsedSchema:
    """A schema file that both Avro libraries accept, with the identities the lock pins."""

    document: dict[str, Any]
    apache: avro.schema.Schema
    fingerprint: str
    sha256: str


def load_document(text: str) -> dict[str, Any]:
    """Decode schema JSON, refusing duplicate keys and non-finite numbers."""
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except ValueError as exc:  # JSONDecodeError is a ValueError, and so are the hooks' refusals
        raise SchemaError(f"not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("type") != "record":
        raise SchemaError('the top level must be a named record ({"type": "record", ...})')
    return document


def normalized_sha256(document: dict[str, Any]) -> str:
    """Hash the JSON content so reformatting is not an edit but any changed value (doc, default) is."""
    normalized = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def parse_schema(text: str) -> ParsedSchema:
    """Parse schema text with both libraries and compute its fingerprint and content hash."""
    document = load_document(text)
    try:
        # deepcopy: fastavro annotates the structure it is given, and `document` must stay as written.
        parsed = fastavro.schema.parse_schema(copy.deepcopy(document))
        fingerprint = fastavro.schema.fingerprint(
            fastavro.schema.to_parsing_canonical_form(parsed), "CRC-64-AVRO"
        )
    except Exception as exc:  # fastavro raises several unrelated types for malformed schemas
        raise SchemaError(f"fastavro refuses it: {exc}") from exc
    try:
        with warnings.catch_warnings():
            # Apache avro only warns about a malformed logical type and then treats the field as its
            # underlying type: a decimal money field would silently become raw bytes.
            warnings.simplefilter("error", avro.errors.IgnoredLogicalType)
            apache = avro.schema.parse(text)
    except Exception as exc:  # parse errors, and the logical-type warnings turned into errors above
        raise SchemaError(f"Apache avro refuses it: {exc}") from exc
    return ParsedSchema(document, apache, fingerprint, normalized_sha256(document))


def missing_docs(document: dict[str, Any]) -> list[str]:
    """Return the path of every record field, at any depth, that lacks a non-empty doc."""
    missing = []
    for path, node in type_nodes(document, ""):
        if isinstance(node, dict) and node.get("type") in ("record", "error"):
            for field in node.get("fields", []):
                doc = field.get("doc")
                if not isinstance(doc, str) or not doc.strip():
                    missing.append(_join(path, field["name"]))
    return missing


def floating_points(document: dict[str, Any]) -> list[str]:
    """Return the path of every float or double type, at any depth."""
    found = []
    for path, node in type_nodes(document, ""):
        kind = node.get("type") if isinstance(node, dict) else node
        if kind in ("float", "double"):
            found.append(f"{path or '<root>'} ({kind})")
    return found


def type_nodes(node: object, path: str) -> Iterator[tuple[str, object]]:
    """Yield every type node below `node` with its field path (`a.b`, `[]` for items, `{}` for values)."""
    yield path, node
    if isinstance(node, list):
        # Union branches share the field's path: a union holds at most one branch per underlying type.
        for branch in node:
            yield from type_nodes(branch, path)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind in ("record", "error"):
            for field in node.get("fields", []):
                yield from type_nodes(field["type"], _join(path, field["name"]))
        elif kind == "array":
            yield from type_nodes(node["items"], f"{path}[]")
        elif kind == "map":
            yield from type_nodes(node["values"], f"{path}{{}}")
        elif isinstance(kind, dict | list):
            yield from type_nodes(kind, path)


def logical_types(document: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    """Map (path, underlying type) of every inline primitive or fixed to its logical type signature."""
    found: dict[tuple[str, str], str | None] = {}
    for path, node in type_nodes(document, ""):
        if isinstance(node, str) and node in _PRIMITIVES:
            found[(path, node)] = None
        elif isinstance(node, dict) and (node.get("type") in _PRIMITIVES or node.get("type") == "fixed"):
            logical = node.get("logicalType")
            if logical == "decimal":
                # Scale defaults to 0 in the spec, so an omitted scale equals an explicit 0.
                logical = f"decimal({node.get('precision')},{node.get('scale', 0)})"
            found[(path, str(node["type"]))] = None if logical is None else str(logical)
    return found


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which of two duplicate keys wins, so the schema would mean different things.
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate keys {duplicates}")
    return dict(pairs)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
