"""`psflow schemas check | release`: the Avro schema gate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.contracts.schema_gate import LOCK_FILENAME, check_report, release_report
from app.contracts.schema_rules import DEFAULT_MODE, CompatibilityMode
from app.contracts.subjects import AVRO_DIR


def add_commands(subparsers: Any) -> None:
    """Register the `schemas check` and `schemas release` commands."""
    schemas = subparsers.add_parser("schemas", help="govern the Avro schemas in avro/")
    commands = schemas.add_subparsers(dest="schemas_command", required=True)

    check_parser = commands.add_parser(
        "check", help="fail unless every schema file matches the lock and rules"
    )
    _add_location_options(check_parser)
    check_parser.set_defaults(func=_run_check)

    release_parser = commands.add_parser("release", help="add unreleased schema versions to the lock")
    _add_location_options(release_parser)
    release_parser.add_argument("--subject", help="release only this subject (default: all)")
    release_parser.add_argument(
        "--mode",
        help=f"compatibility mode for the released subjects: one of {', '.join(CompatibilityMode)}; "
        f"new subjects default to {DEFAULT_MODE}, existing ones may only be made stricter",
    )
    release_parser.set_defaults(func=_run_release)


def _add_location_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--avro-dir", type=Path, default=AVRO_DIR, help="default: %(default)s")
    parser.add_argument("--lock", type=Path, default=None, help=f"default: <avro dir>/{LOCK_FILENAME}")


def _lock_path(args: argparse.Namespace) -> Path:
    lock: Path | None = args.lock
    return lock if lock is not None else Path(args.avro_dir) / LOCK_FILENAME


def _run_check(args: argparse.Namespace) -> int:
    report = check_report(Path(args.avro_dir), _lock_path(args))
    for problem in report.problems:
        print(problem)
    verdict = f"FAILED ({len(report.problems)} problems)" if report.problems else "OK"
    print(f"schemas check: {report.subjects} subjects, {report.versions} versions, {verdict}")
    return 1 if report.problems else 0


def _run_release(args: argparse.Namespace) -> int:
    lock_path = _lock_path(args)
    problems, released = release_report(Path(args.avro_dir), lock_path, args.subject, args.mode)
    for problem in problems:
        print(problem)
    if problems:
        print(f"schemas release: FAILED ({len(problems)} problems), {lock_path} not written")
        return 1
    print(f"schemas release: {', '.join(released) if released else 'nothing to release'}")
    return 0
