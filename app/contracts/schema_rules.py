"""The rules of the schema gate: per schema, per subject history, and across all subjects.

Pure functions from parsed schemas and lock pins to `Problem`s (reading one document is
`app.contracts.schema_analysis`). Finding the files, reading and writing the lock and `release` live in
`app.contracts.schema_gate`; the command line in `app.cli.schemas`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from app.contracts.schema_analysis import (
    ParsedSchema,
    SchemaError,
    floating_points,
    load_document,
    logical_types,
    missing_docs,
    normalized_sha256,
)


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
    old_types = logical_types(old.document)
    changes = []
    for key, new_logical in sorted(logical_types(new.document).items()):
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
