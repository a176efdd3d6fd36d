"""The schema governance gate refuses every unsafe change to the Avro contracts, and only those."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import avro.schema
import fastavro.schema
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from app.cli import schemas as schemas_cli
from app.contracts import schema_gate
from app.contracts.schema_gate import Code, Problem, check, compatibility_modes, release
from app.contracts.subjects import AVRO_DIR

Schema = dict[str, Any]
WriteVersion = Callable[[str, int, Schema], Path]


def field(name: str, type_: object, doc: str | None = "Documented.", **extra: object) -> Schema:
    """Build a record field; pass doc=None to leave it undocumented."""
    built: Schema = {"name": name, "type": type_, **extra}
    if doc is not None:
        built["doc"] = doc
    return built


def record(*fields: Schema, name: str = "TimeEntry") -> Schema:
    return {
        "type": "record",
        "name": name,
        "namespace": "psflow.psa",
        "doc": "A record.",
        "fields": list(fields),
    }


def decimal(precision: int = 12, scale: int = 2) -> Schema:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


def time_entry_v1() -> Schema:
    return record(
        field("entry_id", "string"),
        field("hours", decimal(9, 2)),
        field("billable", "boolean", default=True),
    )


def with_fields(schema: Schema, *extra: Schema) -> Schema:
    return {**schema, "fields": [*schema["fields"], *extra]}


def without_field(schema: Schema, name: str) -> Schema:
    return {**schema, "fields": [f for f in schema["fields"] if f["name"] != name]}


def replace_field(schema: Schema, replacement: Schema) -> Schema:
    return {
        **schema,
        "fields": [replacement if f["name"] == replacement["name"] else f for f in schema["fields"]],
    }


def codes(problems: list[Problem]) -> set[Code]:
    return {problem.code for problem in problems}


def only(problems: list[Problem], code: Code) -> list[Problem]:
    return [problem for problem in problems if problem.code == code]


@pytest.fixture
def avro_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "avro"
    directory.mkdir()
    return directory


@pytest.fixture
def lock_path(avro_dir: Path) -> Path:
    return avro_dir / schema_gate.LOCK_FILENAME


@pytest.fixture
def write_version(avro_dir: Path) -> WriteVersion:
    def write(subject: str, version: int, schema: Schema) -> Path:
        path = avro_dir / subject / f"v{version}.avsc"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def released_v1(avro_dir: Path, lock_path: Path, write_version: WriteVersion) -> Path:
    """Release time_entry v1 under the default mode and return its file."""
    path = write_version("time_entry", 1, time_entry_v1())
    assert release(avro_dir, lock_path) == []
    return path


def read_lock(lock_path: Path) -> Any:
    return json.loads(lock_path.read_text(encoding="utf-8"))


# --- released versions are immutable ---------------------------------------------------------------


def test_a_released_schema_passes_the_check(avro_dir: Path, lock_path: Path, released_v1: Path) -> None:
    assert check(avro_dir, lock_path) == []
    entry = read_lock(lock_path)["subjects"]["time_entry"]
    assert entry["compatibility"] == "FULL_TRANSITIVE"
    assert set(entry["versions"]) == {"v1"}


def test_the_lock_pins_the_crc64_fingerprint_of_the_parsing_canonical_form(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    # No logical types here: for those, Apache avro's Python canonical form deviates from the spec.
    schema = record(field("entry_id", "string"), field("minutes", "long"))
    write_version("time_entry", 1, schema)
    assert release(avro_dir, lock_path) == []
    pinned = read_lock(lock_path)["subjects"]["time_entry"]["versions"]["v1"]["fingerprint"]
    canonical = fastavro.schema.to_parsing_canonical_form(fastavro.schema.parse_schema(schema))
    assert pinned == fastavro.schema.fingerprint(canonical, "CRC-64-AVRO")
    assert pinned == avro.schema.parse(json.dumps(schema)).fingerprint().hex()


def test_the_gate_rejects_a_released_schema_whose_default_was_edited(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion, released_v1: Path
) -> None:
    write_version(
        "time_entry", 1, replace_field(time_entry_v1(), field("billable", "boolean", default=False))
    )
    problems = check(avro_dir, lock_path)
    # A default is invisible to the canonical form, so only the content hash can catch this edit.
    assert codes(problems) == {Code.RELEASED_VERSION_EDITED}
    assert problems[0].subject == "time_entry" and problems[0].version == 1


def test_the_gate_rejects_a_released_schema_whose_field_type_was_changed(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion, released_v1: Path
) -> None:
    write_version("time_entry", 1, replace_field(time_entry_v1(), field("entry_id", "long")))
    assert {Code.RELEASED_VERSION_EDITED, Code.FINGERPRINT_CHANGED} <= codes(check(avro_dir, lock_path))


def test_reformatting_a_released_schema_is_not_an_edit(
    avro_dir: Path, lock_path: Path, released_v1: Path
) -> None:
    released_v1.write_text(json.dumps(time_entry_v1(), sort_keys=True), encoding="utf-8")
    assert check(avro_dir, lock_path) == []


def test_the_gate_rejects_a_missing_released_file(avro_dir: Path, lock_path: Path, released_v1: Path) -> None:
    released_v1.unlink()
    assert codes(check(avro_dir, lock_path)) == {Code.MISSING_RELEASED_FILE}


# --- compatibility, decided by Apache avro's checker -----------------------------------------------


def test_the_gate_rejects_a_new_required_field_without_default_under_backward(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    assert release(avro_dir, lock_path, mode="BACKWARD_TRANSITIVE") == []
    write_version("time_entry", 2, with_fields(time_entry_v1(), field("project_id", "string")))

    problems = release(avro_dir, lock_path)

    [problem] = only(problems, Code.INCOMPATIBLE)
    assert problem.version == 2
    assert "reader_field_missing_default_value" in problem.message
    assert "project_id" in problem.message
    assert "v2 (new reader) cannot read data written with v1" in problem.message
    assert set(read_lock(lock_path)["subjects"]["time_entry"]["versions"]) == {"v1"}


def test_the_gate_rejects_a_removed_field_without_default_under_forward(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    assert release(avro_dir, lock_path, mode="FORWARD_TRANSITIVE") == []
    write_version("time_entry", 2, without_field(time_entry_v1(), "hours"))

    [problem] = only(release(avro_dir, lock_path), Code.INCOMPATIBLE)

    assert "reader_field_missing_default_value" in problem.message
    assert "hours" in problem.message
    assert "v1 (old reader) cannot read data written with v2" in problem.message


def test_removing_a_field_is_allowed_under_backward(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    write_version("time_entry", 2, without_field(time_entry_v1(), "hours"))
    assert release(avro_dir, lock_path, mode="BACKWARD_TRANSITIVE") == []


def test_the_gate_rejects_a_type_change_from_int_to_string(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, with_fields(time_entry_v1(), field("minutes", "int")))
    write_version("time_entry", 2, with_fields(time_entry_v1(), field("minutes", "string")))

    problems = only(release(avro_dir, lock_path), Code.INCOMPATIBLE)

    messages = " | ".join(problem.message for problem in problems)
    assert "type_mismatch" in messages
    assert "reader type: string not compatible with writer type: int" in messages
    assert "reader type: int not compatible with writer type: string" in messages
    assert not lock_path.exists()


def test_a_compatible_new_version_is_released_without_touching_existing_entries(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion, released_v1: Path
) -> None:
    before = read_lock(lock_path)["subjects"]["time_entry"]
    write_version(
        "time_entry", 2, with_fields(time_entry_v1(), field("note", ["null", "string"], default=None))
    )
    assert codes(check(avro_dir, lock_path)) == {Code.UNRELEASED_VERSION}

    assert release(avro_dir, lock_path) == []

    after = read_lock(lock_path)["subjects"]["time_entry"]
    assert after["versions"]["v1"] == before["versions"]["v1"]
    assert after["compatibility"] == before["compatibility"]
    assert set(after["versions"]) == {"v1", "v2"}
    assert check(avro_dir, lock_path) == []


def test_the_lock_is_pretty_sorted_json_with_a_trailing_newline(lock_path: Path, released_v1: Path) -> None:
    text = lock_path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_compatibility_is_transitive_against_every_earlier_version(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    # v2 adds `project_id` with a default; v3 drops the default. v3 reads v2 data (which has the field)
    # but not v1 data (which lacks it), so only a pairwise check against v1 catches it.
    write_version("time_entry", 1, time_entry_v1())
    write_version("time_entry", 2, with_fields(time_entry_v1(), field("project_id", "string", default="")))
    assert release(avro_dir, lock_path) == []
    write_version("time_entry", 3, with_fields(time_entry_v1(), field("project_id", "string")))

    [problem] = only(release(avro_dir, lock_path), Code.INCOMPATIBLE)

    assert problem.version == 3
    assert "cannot read data written with v1" in problem.message
    assert "v2" not in problem.message


def test_the_gate_rejects_a_decimal_scale_change_that_the_apache_checker_misses(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    v1 = time_entry_v1()
    v2 = with_fields(
        replace_field(v1, field("hours", decimal(9, 4))), field("note", ["null", "string"], default=None)
    )
    write_version("time_entry", 1, v1)
    write_version("time_entry", 2, v2)
    reader, writer = avro.schema.parse(json.dumps(v2)), avro.schema.parse(json.dumps(v1))
    verdict = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)  # type: ignore[no-untyped-call]
    assert verdict.compatibility is SchemaCompatibilityType.compatible  # why the extra rule exists

    [problem] = release(avro_dir, lock_path)

    assert problem.code == Code.LOGICAL_TYPE_CHANGED
    assert "hours" in problem.message and "decimal(9,2) -> decimal(9,4)" in problem.message


def test_two_versions_differing_only_in_a_default_share_a_fingerprint_and_are_rejected(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    write_version(
        "time_entry", 2, replace_field(time_entry_v1(), field("billable", "boolean", default=False))
    )
    problems = only(release(avro_dir, lock_path), Code.DUPLICATE_FINGERPRINT)
    assert {problem.version for problem in problems} == {1, 2}


# --- layout and release discipline -----------------------------------------------------------------


def test_check_rejects_a_version_file_that_was_never_released(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    [problem] = check(avro_dir, lock_path)
    assert (problem.subject, problem.version, problem.code) == ("time_entry", 1, Code.UNRELEASED_VERSION)


def test_the_gate_rejects_a_gap_in_the_version_numbers(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion, released_v1: Path
) -> None:
    write_version(
        "time_entry", 3, with_fields(time_entry_v1(), field("note", ["null", "string"], default=None))
    )
    [problem] = release(avro_dir, lock_path)
    assert (problem.version, problem.code) == (2, Code.VERSION_GAP)
    assert Code.VERSION_GAP in codes(check(avro_dir, lock_path))


def test_the_gate_rejects_schema_files_outside_the_layout(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion, released_v1: Path
) -> None:
    (avro_dir / "time_entry" / "v01.avsc").write_text(json.dumps(time_entry_v1()), encoding="utf-8")
    (avro_dir / "stray.avsc").write_text(json.dumps(time_entry_v1()), encoding="utf-8")
    assert [problem.code for problem in check(avro_dir, lock_path)] == [Code.LAYOUT, Code.LAYOUT]


def test_release_refuses_to_weaken_a_mode(avro_dir: Path, lock_path: Path, released_v1: Path) -> None:
    before = lock_path.read_text(encoding="utf-8")

    [problem] = release(avro_dir, lock_path, "time_entry", mode="BACKWARD_TRANSITIVE")

    assert problem.code == Code.WEAK_MODE
    assert lock_path.read_text(encoding="utf-8") == before


def test_release_refuses_a_non_transitive_mode(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    assert codes(release(avro_dir, lock_path, mode="BACKWARD")) == {Code.WEAK_MODE}
    assert not lock_path.exists()


def test_release_makes_a_mode_stricter_only_if_the_history_satisfies_it(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    write_version("time_entry", 2, without_field(time_entry_v1(), "hours"))
    assert release(avro_dir, lock_path, mode="BACKWARD_TRANSITIVE") == []

    assert codes(release(avro_dir, lock_path, "time_entry", mode="FULL_TRANSITIVE")) == {Code.INCOMPATIBLE}
    assert compatibility_modes(lock_path) == {"time_entry": "BACKWARD_TRANSITIVE"}


def test_a_lock_with_a_weak_mode_fails_the_check(avro_dir: Path, lock_path: Path, released_v1: Path) -> None:
    lock = read_lock(lock_path)
    lock["subjects"]["time_entry"]["compatibility"] = "NONE"
    lock_path.write_text(json.dumps(lock), encoding="utf-8")
    assert codes(check(avro_dir, lock_path)) == {Code.WEAK_MODE}


def test_release_refuses_to_overwrite_an_unreadable_lock(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    lock_path.write_text("<<<<<<< HEAD\n", encoding="utf-8")
    assert codes(release(avro_dir, lock_path)) == {Code.INVALID_LOCK}
    assert lock_path.read_text(encoding="utf-8") == "<<<<<<< HEAD\n"


def test_a_subject_scoped_release_ignores_other_subjects(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    write_version("invoice", 1, record(field("total", "double"), name="Invoice"))

    assert release(avro_dir, lock_path, "time_entry") == []

    assert compatibility_modes(lock_path) == {"time_entry": "FULL_TRANSITIVE"}
    assert codes(check(avro_dir, lock_path)) == {Code.UNRELEASED_VERSION, Code.FLOATING_POINT}


# --- per-schema rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        (with_fields(time_entry_v1(), field("note", "string", doc=None)), "note"),
        (with_fields(time_entry_v1(), field("note", "string", doc="  ")), "note"),
        (
            with_fields(
                time_entry_v1(),
                field(
                    "lines",
                    {"type": "array", "items": record(field("sku", "string", doc=None), name="Line")},
                ),
            ),
            "lines[].sku",
        ),
    ],
    ids=["absent", "blank", "nested-in-array"],
)
def test_the_gate_rejects_a_field_without_doc(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion, schema: Schema, path: str
) -> None:
    write_version("time_entry", 1, schema)
    [problem] = release(avro_dir, lock_path)
    assert problem.code == Code.MISSING_DOC
    assert path in problem.message


@pytest.mark.parametrize(
    "rate",
    [
        field("rate", "float"),
        field("rate", "double"),
        field("rate", ["null", "double"], default=None),
        field("rate", {"type": "map", "values": {"type": "float"}}),
    ],
    ids=["float", "double", "in-union", "in-map"],
)
def test_the_gate_rejects_floating_point_types(
    avro_dir: Path, lock_path: Path, write_version: WriteVersion, rate: Schema
) -> None:
    write_version("time_entry", 1, with_fields(time_entry_v1(), rate))
    assert codes(release(avro_dir, lock_path)) == {Code.FLOATING_POINT}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "record", "name": "A", "name": "B", "fields": []}', "duplicate keys"),
        (json.dumps({"type": "enum", "name": "E", "symbols": ["A"]}), "named record"),
        (json.dumps(record(field("hours", "int", default="eight"))), "fastavro"),
        (json.dumps(record(field("amount", {"type": "string", "logicalType": "decimal"}))), "Apache avro"),
        (json.dumps(record(field("customer", "psflow.erp.Customer"))), "Customer"),
    ],
    ids=[
        "json",
        "duplicate-key",
        "not-a-record",
        "bad-default",
        "ignored-logical-type",
        "external-reference",
    ],
)
def test_the_gate_rejects_a_schema_either_library_refuses(
    avro_dir: Path, lock_path: Path, text: str, fragment: str
) -> None:
    (avro_dir / "time_entry").mkdir()
    (avro_dir / "time_entry" / "v1.avsc").write_text(text, encoding="utf-8")
    [problem] = release(avro_dir, lock_path)
    assert problem.code == Code.INVALID_SCHEMA
    assert fragment in problem.message


# --- command line and catalog ----------------------------------------------------------------------


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="psflow")
    schemas_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


def test_the_check_command_prints_each_problem_and_a_summary(
    avro_dir: Path, write_version: WriteVersion, capsys: pytest.CaptureFixture[str]
) -> None:
    write_version("time_entry", 1, time_entry_v1())

    assert run("schemas", "check", "--avro-dir", str(avro_dir)) == 1
    assert capsys.readouterr().out.splitlines() == [
        "time_entry v1 UNRELEASED_VERSION: not in the lock; run `psflow schemas release` to check and pin it",
        "schemas check: 1 subjects, 1 versions, FAILED (1 problems)",
    ]

    assert run("schemas", "release", "--avro-dir", str(avro_dir)) == 0
    assert "time_entry v1" in capsys.readouterr().out
    assert run("schemas", "check", "--avro-dir", str(avro_dir)) == 0
    assert capsys.readouterr().out == "schemas check: 1 subjects, 1 versions, OK\n"


def test_the_lock_option_overrides_the_lock_location(
    avro_dir: Path, tmp_path: Path, write_version: WriteVersion
) -> None:
    write_version("time_entry", 1, time_entry_v1())
    elsewhere = tmp_path / "elsewhere.lock.json"
    assert (
        run(
            "schemas",
            "release",
            "--avro-dir",
            str(avro_dir),
            "--lock",
            str(elsewhere),
            "--mode",
            "BACKWARD_TRANSITIVE",
        )
        == 0
    )
    assert compatibility_modes(elsewhere) == {"time_entry": "BACKWARD_TRANSITIVE"}


def test_compatibility_modes_is_empty_before_the_first_release(lock_path: Path) -> None:
    assert compatibility_modes(lock_path) == {}


# --- the real repository ---------------------------------------------------------------------------


def test_repository_schemas_pass_the_gate() -> None:
    avro_dir = AVRO_DIR
    assert any(avro_dir.glob("*/v*.avsc")), f"no schemas under {avro_dir} yet"
    problems = check(avro_dir, avro_dir / schema_gate.LOCK_FILENAME)
    assert problems == [], "\n".join(str(problem) for problem in problems)
