"""The codec: single-object encoding, schema resolution, typed decoding and its failure reasons."""

from __future__ import annotations

import io
import json
import struct
from decimal import Decimal
from typing import Any

import avro.io
import avro.schema
import fastavro.schema
import fastavro.utils
import pytest

from app.contracts.codec import HEADER_SIZE, MAGIC, AvroCodec, DecodeError, SchemaVersion, load_versions
from app.contracts.subjects import AVRO_DIR
from domain.records.ops import ExceptionReason
from domain.records.psa import ProjectContract, TimeEntry
from tests.support.factories import contract, milestone_event, time_entry

VERSIONS = load_versions()


def _rabin_fingerprint(text: bytes) -> int:
    """Compute CRC-64-AVRO exactly as the Avro specification's reference algorithm describes it."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in text:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec(VERSIONS)


def _apache_decode(version: SchemaVersion, data: bytes, into: SchemaVersion | None = None) -> Any:
    # Apache avro needs the logical types too, so parse the full JSON rather than the canonical form.
    writer = avro.schema.parse(json.dumps(_full_json(version)))
    reader = writer if into is None else avro.schema.parse(json.dumps(_full_json(into)))
    datum_reader = avro.io.DatumReader(writer, reader)
    return datum_reader.read(avro.io.BinaryDecoder(io.BytesIO(data[HEADER_SIZE:])))


def _full_json(version: SchemaVersion) -> Any:

    return json.loads((AVRO_DIR / version.subject / f"v{version.version}.avsc").read_text())


def test_every_topic_subject_has_a_released_schema(codec: AvroCodec) -> None:
    assert {v.subject for v in VERSIONS} >= {
        "project_contract",
        "time_entry",
        "milestone_event",
        "resource_assignment",
        "billing_status",
        "billing_command",
        "forecast_delta",
        "business_exception",
        "replay_audit",
    }


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v.subject}-v{v.version}")
def test_header_carries_the_little_endian_rabin_fingerprint_of_the_canonical_form(
    version: SchemaVersion,
) -> None:
    canonical = fastavro.schema.to_parsing_canonical_form(version.parsed).encode()
    assert version.fingerprint == struct.pack("<Q", _rabin_fingerprint(canonical))
    # Apache avro's Python canonical form keeps {"type": "long"} for logical types (the spec strips them
    # to "long"), so compare its fingerprint function on the spec-conformant canonical form instead.
    assert avro.schema.parse(canonical.decode()).fingerprint() == version.fingerprint


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v.subject}-v{v.version}")
def test_every_schema_round_trips_and_apache_avro_reads_the_same_values(
    codec: AvroCodec, version: SchemaVersion
) -> None:
    # Generated data is in raw Avro types (random bytes for decimals): one pass through the codec
    # lifts it to logical values, which must then be a fixed point of encode/decode.
    for raw in fastavro.utils.generate_many(version.parsed, 20):
        _, datum = codec.decode_datum(codec.encode_with(version, raw))
        data = codec.encode_with(version, datum)
        assert data[:2] == MAGIC
        schema, decoded = codec.decode_datum(data)
        assert schema.subject == version.subject
        assert decoded == datum
        assert codec.encode_with(version, decoded) == data
        # The codec resolves an old version into the subject's newest: so does Apache Avro here.
        assert _apache_decode(version, data, schema) == decoded


def test_typed_records_round_trip_through_the_codec(codec: AvroCodec) -> None:
    for record in (contract(), time_entry(), milestone_event()):
        assert codec.decode(codec.encode(record), type(record)) == record


def test_money_stays_an_exact_decimal(codec: AvroCodec) -> None:
    entry = time_entry(hours=Decimal("7.25"))
    decoded = codec.decode(codec.encode(entry), TimeEntry)
    assert isinstance(decoded.hours, Decimal)
    assert decoded.hours == Decimal("7.25")
    value = codec.decode(
        codec.encode(contract(contract_value=Decimal("0.10"))), ProjectContract
    ).contract_value
    assert value == Decimal("0.10") and isinstance(value, Decimal)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not avro at all", ExceptionReason.DECODE_BAD_MAGIC),
        (b"", ExceptionReason.DECODE_BAD_MAGIC),
        (MAGIC + b"\x00" * 8 + b"\x02", ExceptionReason.DECODE_UNKNOWN_FINGERPRINT),
    ],
)
def test_undecodable_bytes_raise_with_a_machine_readable_reason(
    codec: AvroCodec, data: bytes, reason: ExceptionReason
) -> None:
    with pytest.raises(DecodeError) as raised:
        codec.decode(data, TimeEntry)
    assert raised.value.reason is reason


def test_a_truncated_body_is_malformed(codec: AvroCodec) -> None:
    data = codec.encode(time_entry())
    with pytest.raises(DecodeError) as raised:
        codec.decode(data[:-5], TimeEntry)
    assert raised.value.reason is ExceptionReason.DECODE_MALFORMED_BODY


def test_trailing_bytes_are_malformed(codec: AvroCodec) -> None:
    with pytest.raises(DecodeError) as raised:
        codec.decode(codec.encode(time_entry()) + b"\x00", TimeEntry)
    assert raised.value.reason is ExceptionReason.DECODE_MALFORMED_BODY


def test_a_record_of_another_type_is_refused(codec: AvroCodec) -> None:
    with pytest.raises(DecodeError) as raised:
        codec.decode(codec.encode(contract()), TimeEntry)
    assert raised.value.reason is ExceptionReason.DECODE_WRONG_RECORD_TYPE


def test_a_schema_valid_but_invalid_business_record_is_refused(codec: AvroCodec) -> None:
    datum = time_entry().model_dump()
    datum["hours"] = Decimal("-3.00")
    data = codec.encode_with(codec.writer_for(TimeEntry), datum)
    with pytest.raises(DecodeError) as raised:
        codec.decode(data, TimeEntry)
    assert raised.value.reason is ExceptionReason.INVALID_RECORD
    assert "hours" in raised.value.message


def test_the_readme_decoder_without_psflow_reads_what_the_codec_writes(
    codec: AvroCodec, monkeypatch: pytest.MonkeyPatch
) -> None:

    readme = (AVRO_DIR.parent / "README.md").read_text()
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(AVRO_DIR.parent)
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)
    entry = time_entry(hours=Decimal("6.75"))
    decoded = namespace["decode"](codec.encode(entry))
    assert decoded["entry_id"] == entry.entry_id
    assert decoded["hours"] == Decimal("6.75")
    assert decoded["work_date"] == entry.work_date
