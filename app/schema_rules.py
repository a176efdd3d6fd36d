"""The rules of the schema gate: per schema, per subject history, and across all subjects.

Pure functions from schema text, parsed schemas and lock pins to `Problem`s. Finding the files, reading
and writing the lock, `release` and the command line live in `app.schema_gate`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import warnings
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import avro.errors
import avro.schema
import fastavro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType


class Code(StrEnum):
    """Machine-readable kinds of problem the gate reports."""

    RELEASED_VERSION_EDITED = "RELEASED_VERSION_EDITED"
    FINGERPRINT_CHANGED = "FINGERPRINT_CHANGED"
    MISSING_RELEASED_FILE = "MISSING_RELEASED_FILE"
    UNRELEASED_VERSION = "UNRELEASED_VERSION"
    VERSION_GAP = "VERSION_GAP"
    INCOMPATIBLE = "INCOMPATIBLE"
    LOGICAL_TYPE_CHANGED = "LOGICAL_TYPE_CHANGED"
    MISSING_DOC = "MISSING_DOC"
    FLOATING_POINT = "FLOATING_POINT"
    INVALID_SCHEMA = "INVALID_SCHEMA"
    DUPLICATE_FINGERPRINT = "DUPLICATE_FINGERPRINT"
    WEAK_MODE = "WEAK_MODE"
    LAYOUT = "LAYOUT"
    INVALID_LOCK = "INVALID_LOCK"


@dataclass(frozen=True)
class Problem:
    """One reason the gate refuses the schemas; `version` is None for subject- or lock-wide problems."""

    subject: str
    version: int | None
    code: Code
    message: str

    def __str__(self) -> str:
        where = self.subject if self.version is None else f"{self.subject} v{self.version}"
        return f"{where} {self.code}: {self.message}"


class CompatibilityMode(StrEnum):
    """The compatibility modes a subject may declare; all transitive, none weaker than backward."""

    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"


# Old consumers keep working when producers upgrade, and new consumers can replay the whole history.
DEFAULT_MODE = CompatibilityMode.FULL_TRANSITIVE


def parse_mode(value: object) -> CompatibilityMode | None:
    """Return the supported mode spelled by `value`, or None if it is unknown or too weak."""
    if isinstance(value, str) and value in CompatibilityMode.__members__:
        return CompatibilityMode[value]
    return None


def is_at_least_as_strict(new: CompatibilityMode, old: CompatibilityMode) -> bool:
    """Tell whether every schema history valid under `new` is also valid under `old`."""
    # BACKWARD and FORWARD are incomparable: switching between them would admit versions the other refused.
    return new == old or new == CompatibilityMode.FULL_TRANSITIVE


class SchemaError(ValueError):
    """Schema text that is not a valid, self-contained Avro record for both fastavro and Apache avro."""


@dataclass(frozen=True)
class ParsedSchema:
    """A schema file that both Avro libraries accept, with the identities the lock pins."""

    document: dict[str, Any]
    apache: avro.schema.Schema
    fingerprint: str
    sha256: str


@dataclass(frozen=True)
class Pin:
    """What the lock records for one released version."""

    fingerprint: str
    sha256: str


@dataclass(frozen=True)
class SubjectLock:
    """What the lock records for one subject; `compatibility` is kept as written so a bad one is reported."""

    compatibility: str
    versions: Mapping[int, Pin]


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
    for path, node in _type_nodes(document, ""):
        if isinstance(node, dict) and node.get("type") in ("record", "error"):
            for field in node.get("fields", []):
                doc = field.get("doc")
                if not isinstance(doc, str) or not doc.strip():
                    missing.append(_join(path, field["name"]))
    return missing


def floating_points(document: dict[str, Any]) -> list[str]:
    """Return the path of every float or double type, at any depth."""
    found = []
    for path, node in _type_nodes(document, ""):
        kind = node.get("type") if isinstance(node, dict) else node
        if kind in ("float", "double"):
            found.append(f"{path or '<root>'} ({kind})")
    return found


def compatibility_problems(
    mode: CompatibilityMode, new: ParsedSchema, new_version: int, old: ParsedSchema, old_version: int
) -> list[str]:
    """Return why `new` may not follow `old` under `mode`, as decided by Apache avro's checker."""
    reasons = []
    if mode in (CompatibilityMode.BACKWARD_TRANSITIVE, CompatibilityMode.FULL_TRANSITIVE):
        verdict = _incompatibility(reader=new.apache, writer=old.apache)
        if verdict:
            reasons.append(
                f"v{new_version} (new reader) cannot read data written with v{old_version}: {verdict}"
            )
    if mode in (CompatibilityMode.FORWARD_TRANSITIVE, CompatibilityMode.FULL_TRANSITIVE):
        verdict = _incompatibility(reader=old.apache, writer=new.apache)
        if verdict:
            reasons.append(
                f"v{old_version} (old reader) cannot read data written with v{new_version}: {verdict}"
            )
    return reasons


def logical_type_changes(new: ParsedSchema, old: ParsedSchema) -> list[str]:
    """Return every path whose logical type (or decimal precision/scale) differs between two versions."""
    # Apache avro's checker and the parsing canonical form both look only at the underlying type, so
    # decimal(9,2) -> decimal(9,4) or timestamp-millis -> timestamp-micros passes them while every
    # old value would be read 100x or 1000x off. The spec says such decimals do not match.
    old_types = _logical_types(old.document)
    changes = []
    for key, new_logical in sorted(_logical_types(new.document).items()):
        if key in old_types and old_types[key] != new_logical:
            path, underlying = key
            changes.append(f"{path} ({underlying}): {old_types[key] or 'plain'} -> {new_logical or 'plain'}")
    return changes


def version_problems(subject: str, version: int, schema: ParsedSchema) -> list[Problem]:
    """Apply the rules every single version must meet: documented fields, no binary floats."""
    problems = [
        Problem(subject, version, Code.MISSING_DOC, f"field {path} has no doc")
        for path in missing_docs(schema.document)
    ]
    problems += [
        Problem(
            subject, version, Code.FLOATING_POINT, f"{path}: money and quantities are decimals, not floats"
        )
        for path in floating_points(schema.document)
    ]
    return problems


def history_problems(
    subject: str, mode: CompatibilityMode | None, versions: Mapping[int, ParsedSchema]
) -> list[Problem]:
    """Check every version against every earlier one (transitively); skip compatibility if `mode` is None."""
    problems = []
    ordered = sorted(versions)
    for position, version in enumerate(ordered):
        for earlier in ordered[:position]:
            new, old = versions[version], versions[earlier]
            if mode is not None:
                for reason in compatibility_problems(mode, new, version, old, earlier):
                    problems.append(Problem(subject, version, Code.INCOMPATIBLE, f"{mode}: {reason}"))
            for change in logical_type_changes(new, old):
                message = f"changed since v{earlier}: {change}"
                problems.append(Problem(subject, version, Code.LOGICAL_TYPE_CHANGED, message))
    return problems


def drift_problems(
    subject: str, files: Mapping[int, Path], pins: Mapping[int, Pin], parsed: Mapping[int, ParsedSchema]
) -> list[Problem]:
    """Compare one subject's version files with its pins: edits, missing and unreleased files, gaps."""
    problems = []
    for version in sorted(set(pins) - set(files)):
        message = f"v{version}.avsc is released but missing"
        problems.append(Problem(subject, version, Code.MISSING_RELEASED_FILE, message))
    for version in sorted(set(files) - set(pins)):
        message = "not in the lock; run `psflow schemas release` to check and pin it"
        problems.append(Problem(subject, version, Code.UNRELEASED_VERSION, message))
    known = set(files) | set(pins)
    for version in sorted(set(range(1, max(known, default=0) + 1)) - known):
        message = f"versions must be contiguous from v1, but v{version} is absent"
        problems.append(Problem(subject, version, Code.VERSION_GAP, message))
    for version in sorted(set(pins) & set(files)):
        pin = pins[version]
        try:
            sha256: str | None = normalized_sha256(load_document(files[version].read_text(encoding="utf-8")))
        except (SchemaError, OSError, UnicodeDecodeError):
            sha256 = None  # it no longer loads at all; INVALID_SCHEMA says why
        if sha256 != pin.sha256:
            message = "released schemas are immutable (content hash differs from the lock); add a new version"
            problems.append(Problem(subject, version, Code.RELEASED_VERSION_EDITED, message))
        schema = parsed.get(version)
        if schema is not None and schema.fingerprint != pin.fingerprint:
            message = f"fingerprint {schema.fingerprint} differs from the released {pin.fingerprint}"
            problems.append(Problem(subject, version, Code.FINGERPRINT_CHANGED, message))
    return problems


def duplicate_fingerprint_problems(parsed: Mapping[tuple[str, int], ParsedSchema]) -> list[Problem]:
    """Report every subject/version sharing its fingerprint with another one."""
    # The codec resolves a writer schema by fingerprint, so one fingerprint must name one schema.
    owners: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key, schema in sorted(parsed.items()):
        owners[schema.fingerprint].append(key)
    problems = []
    for fingerprint, keys in owners.items():
        for subject, version in keys if len(keys) > 1 else []:
            others = ", ".join(f"{s} v{v}" for s, v in keys if (s, v) != (subject, version))
            message = (
                f"fingerprint {fingerprint} is also that of {others}; the canonical form ignores doc, "
                "defaults and logical types, so the codec could not tell them apart"
            )
            problems.append(Problem(subject, version, Code.DUPLICATE_FINGERPRINT, message))
    return problems


def _incompatibility(reader: avro.schema.Schema, writer: avro.schema.Schema) -> str | None:
    """Return the checker's incompatibility description, or None when the reader can read the writer."""
    # A fresh checker per pair: its memo is keyed on object identity and must not outlive the schemas.
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    try:
        result = checker.get_compatibility(reader, writer)
    except Exception as exc:  # a checker crash must refuse the version, not let it through
        return f"the compatibility checker failed: {exc!r}"
    if result.compatibility is SchemaCompatibilityType.compatible:
        return None
    kinds = ", ".join(sorted({kind.value for kind in result.incompatibilities})) or "incompatible"
    messages = "; ".join(sorted(result.messages))
    locations = ", ".join(sorted(result.locations))
    return f"{kinds}: {messages} (at {locations})"


def _type_nodes(node: object, path: str) -> Iterator[tuple[str, object]]:
    """Yield every type node below `node` with its field path (`a.b`, `[]` for items, `{}` for values)."""
    yield path, node
    if isinstance(node, list):
        # Union branches share the field's path: a union holds at most one branch per underlying type.
        for branch in node:
            yield from _type_nodes(branch, path)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind in ("record", "error"):
            for field in node.get("fields", []):
                yield from _type_nodes(field["type"], _join(path, field["name"]))
        elif kind == "array":
            yield from _type_nodes(node["items"], f"{path}[]")
        elif kind == "map":
            yield from _type_nodes(node["values"], f"{path}{{}}")
        elif isinstance(kind, dict | list):
            yield from _type_nodes(kind, path)


def _logical_types(document: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    """Map (path, underlying type) of every inline primitive or fixed to its logical type signature."""
    found: dict[tuple[str, str], str | None] = {}
    for path, node in _type_nodes(document, ""):
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
