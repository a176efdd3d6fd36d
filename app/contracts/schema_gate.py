"""The schema governance gate behind `psflow schemas check` and `psflow schemas release`.

Every released version of a subject stays in `avro/<subject>/v<N>.avsc`, and `avro/schemas.lock.json`
pins each subject's compatibility mode and, per released version, the CRC-64-AVRO fingerprint of its
parsing canonical form (the wire identity) and a sha256 of its normalized JSON (which, unlike the
canonical form, also sees `doc` and `default` edits). `check` fails on any drift between files and lock
or any broken rule; `release` is the only way a new version enters the lock.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.contracts.schema_analysis import ParsedSchema, SchemaError, parse_schema
from app.contracts.schema_rules import (
    DEFAULT_MODE,
    Code,
    CompatibilityMode,
    Pin,
    Problem,
    SubjectLock,
    drift_problems,
    duplicate_fingerprint_problems,
    history_problems,
    is_at_least_as_strict,
    parse_mode,
    version_problems,
)

__all__ = [
    "LOCK_FILENAME",
    "Code",
    "CompatibilityMode",
    "Problem",
    "Report",
    "check",
    "check_report",
    "compatibility_modes",
    "release",
    "release_report",
]

LOCK_FILENAME = "schemas.lock.json"

_SUBJECT = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
# No leading zeros: v01 and v1 would otherwise be two files for one version.
_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.avsc")
_VERSION_KEY = re.compile(r"v([1-9][0-9]*)")
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LOCK_SUBJECT = "schemas.lock.json"
_LAYOUT_SUBJECT = "avro"


@dataclass
class Report:
    """What a check found, and how many subjects and versions it looked at."""

    problems: list[Problem] = field(default_factory=list)
    subjects: int = 0
    versions: int = 0


def check(avro_dir: Path, lock_path: Path) -> list[Problem]:
    """Return every problem with the schemas in `avro_dir` against the lock; empty means the gate passes."""
    return check_report(avro_dir, lock_path).problems


def release(
    avro_dir: Path, lock_path: Path, subject: str | None = None, mode: str | None = None
) -> list[Problem]:
    """Add every unreleased version (of `subject`, or of all subjects) to the lock if all checks pass."""
    problems, _ = release_report(avro_dir, lock_path, subject, mode)
    return problems


def compatibility_modes(lock_path: Path) -> dict[str, str]:
    """Return the compatibility mode of every released subject (empty when there is no lock yet)."""
    lock, problems = _read_lock(lock_path)
    if problems:
        raise ValueError("; ".join(str(problem) for problem in problems))
    return {subject: entry.compatibility for subject, entry in sorted(lock.items())}


def check_report(avro_dir: Path, lock_path: Path) -> Report:
    lock, lock_problems = _read_lock(lock_path)
    report = _evaluate(avro_dir, lock)
    report.problems = _sorted(lock_problems + report.problems)
    return report


def release_report(
    avro_dir: Path, lock_path: Path, subject: str | None, mode: str | None
) -> tuple[list[Problem], list[str]]:
    """Release and also return what was released, as `subject vN` labels and mode changes."""
    lock, problems = _read_lock(lock_path)
    if problems:
        return problems, []  # never rebuild a lock we cannot read: it may be a half-resolved merge
    requested = parse_mode(mode) if mode is not None else None
    if mode is not None and requested is None:
        message = f"mode {mode!r} is refused; use one of {', '.join(CompatibilityMode)}"
        return [Problem(subject or _LOCK_SUBJECT, None, Code.WEAK_MODE, message)], []

    files, _ = _discover(avro_dir)
    if subject is not None and subject not in files and subject not in lock:
        return [Problem(subject, None, Code.LAYOUT, f"no directory {avro_dir / subject}")], []
    selected = {subject} if subject is not None else set(files) | set(lock)

    candidate = dict(lock)
    released: list[str] = []
    for name in sorted(selected):
        current = lock.get(name)
        old_mode = parse_mode(current.compatibility) if current is not None else None
        new_mode = requested or old_mode or DEFAULT_MODE
        if old_mode is not None and not is_at_least_as_strict(new_mode, old_mode):
            message = f"cannot change {old_mode} to {new_mode}: a mode may only be made stricter"
            problems.append(Problem(name, None, Code.WEAK_MODE, message))
        if current is not None and current.compatibility != new_mode:
            released.append(f"{name} {current.compatibility} -> {new_mode}")
        versions = dict(current.versions) if current is not None else {}
        for version, path in sorted(files.get(name, {}).items()):
            if version not in versions:  # existing pins are never rewritten
                pin = _pin(path)
                if pin is not None:  # an unparsable file stays unreleased and is reported below
                    versions[version] = pin
                    released.append(f"{name} v{version}")
        candidate[name] = SubjectLock(str(new_mode), versions)

    # The candidate lock must pass the full check; a subject-scoped release ignores other subjects.
    report = _evaluate(avro_dir, candidate)
    # UNRELEASED_VERSION can only remain for files that failed to parse, already reported as such.
    problems += [
        p
        for p in report.problems
        if (subject is None or p.subject == subject) and p.code != Code.UNRELEASED_VERSION
    ]
    if problems:
        return _sorted(problems), []
    if candidate != lock:
        _write_lock(lock_path, candidate)
    return [], released


def _evaluate(avro_dir: Path, lock: Mapping[str, SubjectLock]) -> Report:
    """Check the files in `avro_dir` against an in-memory lock."""
    files, problems = _discover(avro_dir)
    parsed: dict[tuple[str, int], ParsedSchema] = {}
    for subject, versions in files.items():
        for version, path in versions.items():
            schema = _parse(subject, version, path, problems)
            if schema is not None:
                parsed[(subject, version)] = schema

    subjects = sorted(set(files) | set(lock))
    all_versions: set[tuple[str, int]] = set()
    for subject in subjects:
        on_disk = files.get(subject, {})
        entry = lock.get(subject)
        pins = entry.versions if entry is not None else {}
        all_versions |= {(subject, version) for version in set(on_disk) | set(pins)}
        mine = {version: schema for (owner, version), schema in parsed.items() if owner == subject}
        problems += drift_problems(subject, on_disk, pins, mine)
        for version, schema in mine.items():
            problems += version_problems(subject, version, schema)
        problems += history_problems(subject, _subject_mode(subject, entry, problems), mine)
    problems += duplicate_fingerprint_problems(parsed)
    return Report(_sorted(problems), len(subjects), len(all_versions))


def _discover(avro_dir: Path) -> tuple[dict[str, dict[int, Path]], list[Problem]]:
    """Find every subject's version files, reporting schema files that escape the layout."""
    if not avro_dir.is_dir():
        return {}, [Problem(_LAYOUT_SUBJECT, None, Code.LAYOUT, f"{avro_dir} is not a directory")]
    files: dict[str, dict[int, Path]] = {}
    problems = [
        Problem(_LAYOUT_SUBJECT, None, Code.LAYOUT, f"{path.name}: schemas belong in <subject>/v<N>.avsc")
        for path in sorted(avro_dir.glob("*.avsc"))
    ]
    for directory in sorted(path for path in avro_dir.iterdir() if path.is_dir()):
        if directory.name.startswith("."):
            continue
        if not _SUBJECT.fullmatch(directory.name):
            message = f"{directory.name}/: a subject directory name must be snake_case"
            problems.append(Problem(_LAYOUT_SUBJECT, None, Code.LAYOUT, message))
            continue
        versions = files.setdefault(directory.name, {})
        for path in sorted(directory.rglob("*.avsc")):
            match = _VERSION_FILE.fullmatch(path.name)
            if match is None or path.parent != directory:
                message = f"{path.relative_to(avro_dir)}: a version file must be {directory.name}/v<N>.avsc"
                problems.append(Problem(directory.name, None, Code.LAYOUT, message))
            else:
                versions[int(match.group(1))] = path
    return files, problems


def _parse(subject: str, version: int, path: Path, problems: list[Problem]) -> ParsedSchema | None:
    try:
        return parse_schema(path.read_text(encoding="utf-8"))
    except (SchemaError, OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(subject, version, Code.INVALID_SCHEMA, f"{path.name}: {exc}"))
        return None


def _pin(path: Path) -> Pin | None:
    try:
        schema = parse_schema(path.read_text(encoding="utf-8"))
    except (SchemaError, OSError, UnicodeDecodeError):
        return None
    return Pin(schema.fingerprint, schema.sha256)


def _subject_mode(
    subject: str, entry: SubjectLock | None, problems: list[Problem]
) -> CompatibilityMode | None:
    if entry is None:
        return DEFAULT_MODE  # what `release` would give it, so check already reports what release would
    mode = parse_mode(entry.compatibility)
    if mode is None:
        message = f"mode {entry.compatibility!r} is refused; use one of {', '.join(CompatibilityMode)}"
        problems.append(Problem(subject, None, Code.WEAK_MODE, message))
    return mode


def _read_lock(lock_path: Path) -> tuple[dict[str, SubjectLock], list[Problem]]:
    """Load the lock, validating its shape; a missing lock is an empty one."""
    if not lock_path.exists():
        return {}, []
    try:
        raw: Any = json.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, [Problem(_LOCK_SUBJECT, None, Code.INVALID_LOCK, f"{lock_path}: {exc}")]
    subjects = raw.get("subjects") if isinstance(raw, dict) else None
    if not isinstance(subjects, dict):
        return {}, [Problem(_LOCK_SUBJECT, None, Code.INVALID_LOCK, 'expected {"subjects": {...}}')]
    lock: dict[str, SubjectLock] = {}
    problems: list[Problem] = []
    for subject, entry in subjects.items():
        versions = entry.get("versions") if isinstance(entry, dict) else None
        mode = entry.get("compatibility") if isinstance(entry, dict) else None
        if not isinstance(versions, dict) or not isinstance(mode, str):
            message = "expected compatibility (a string) and versions (an object)"
            problems.append(Problem(subject, None, Code.INVALID_LOCK, message))
            continue
        pins: dict[int, Pin] = {}
        for key, pin in versions.items():
            match = _VERSION_KEY.fullmatch(key)
            fingerprint = pin.get("fingerprint") if isinstance(pin, dict) else None
            sha256 = pin.get("sha256") if isinstance(pin, dict) else None
            if (
                match is None
                or not isinstance(fingerprint, str)
                or not isinstance(sha256, str)
                or not _FINGERPRINT.fullmatch(fingerprint)
                or not _SHA256.fullmatch(sha256)
            ):
                message = f"version {key!r}: expected vN with a 16-hex fingerprint and a 64-hex sha256"
                problems.append(Problem(subject, None, Code.INVALID_LOCK, message))
                continue
            pins[int(match.group(1))] = Pin(fingerprint, sha256)
        lock[subject] = SubjectLock(mode, pins)
    return lock, problems


def _write_lock(lock_path: Path, lock: Mapping[str, SubjectLock]) -> None:
    document = {
        "subjects": {
            subject: {
                "compatibility": entry.compatibility,
                "versions": {
                    f"v{version}": {"fingerprint": pin.fingerprint, "sha256": pin.sha256}
                    for version, pin in sorted(entry.versions.items())
                },
            }
            for subject, entry in lock.items()
        }
    }
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # Write-then-rename so an interrupted release never leaves a truncated lock behind.
    temporary = lock_path.with_name(f".{lock_path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, lock_path)
    finally:
        temporary.unlink(missing_ok=True)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.subject, p.version or 0, p.code, p.message))
