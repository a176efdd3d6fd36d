"""The compiled Avro writers write fastavro's bytes for every released schema."""

from __future__ import annotations

import io
from decimal import Decimal

import fastavro
import pytest
from fastavro.utils import generate_many

from app.contracts.avro_binary import compile_writer
from app.contracts.codec import SchemaVersion, load_versions

VERSIONS = load_versions()


def fastavro_body(version: SchemaVersion, datum: object) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, version.parsed, datum)
    return out.getvalue()


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v.subject}-v{v.version}")
def test_every_schema_compiles_and_writes_what_fastavro_writes(version: SchemaVersion) -> None:
    write = compile_writer(version.parsed)
    assert write is not None
    for datum in generate_many(version.parsed, 200):
        body = bytearray()
        write(body, datum)
        assert bytes(body) == fastavro_body(version, datum)


def test_decimals_are_written_with_fastavros_length_rule() -> None:
    schema = {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 2}
    write = compile_writer(schema)
    assert write is not None
    for value in (Decimal("0.00"), Decimal("-1.28"), Decimal("-128"), Decimal("12345.6"), Decimal("1E+3")):
        body = bytearray()
        write(body, value)
        assert bytes(body) == fastavro_body(SchemaVersion("d", 1, "d", b"", schema), value)


def test_a_decimal_with_more_places_than_the_schema_is_refused_not_rounded() -> None:
    write = compile_writer({"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 2})
    assert write is not None
    with pytest.raises(ValueError, match="Scale"):
        write(bytearray(), Decimal("1.005"))


def test_a_union_other_than_null_or_one_type_is_left_to_fastavro() -> None:
    assert compile_writer(["null", "string", "long"]) is None
    assert compile_writer({"type": "record", "name": "R", "fields": [{"name": "f", "type": "float"}]}) is None
