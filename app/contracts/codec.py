"""Avro single-object encoding of every psflow record, shared by agents, replay, tests and consumers.

Wire format (Avro spec, "Single-object encoding"): ``C3 01``, the 8-byte little-endian CRC-64-AVRO
fingerprint of the writer schema's Parsing Canonical Form, then the Avro binary body. The writer schema
is found by fingerprint among every released version in avro/ and resolved into the subject's newest
version, so records written years ago still decode into today's typed record.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import fastavro
import fastavro.schema
from pydantic import ValidationError

from app.contracts.avro_binary import Writer, compile_writer
from app.contracts.subjects import AVRO_DIR, CONTRACTS, Contract
from domain.records.common import Event
from domain.records.ops import ExceptionReason

MAGIC = b"\xc3\x01"
HEADER_SIZE = len(MAGIC) + 8

E = TypeVar("E", bound=Event)


class DecodeError(Exception):
    """Bytes or a record that cannot become a typed record; carries the exception-queue reason."""

    def __init__(self, reason: ExceptionReason, message: str, payload: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.payload = payload


@dataclass(frozen=True)
class SchemaVersion:
    """One released schema version, parsed once."""

    subject: str
    version: int
    full_name: str
    fingerprint: bytes
    parsed: Any
    # Compiled once (app.contracts.avro_binary); None where the schema needs fastavro.
    write: Writer | None = None


def fingerprint_of(parsed: Any) -> bytes:
    """Return the CRC-64-AVRO fingerprint of a parsed schema, in wire (little-endian) byte order."""
    canonical = fastavro.schema.to_parsing_canonical_form(parsed)
    return bytes.fromhex(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"))


def load_versions(avro_dir: Path = AVRO_DIR) -> list[SchemaVersion]:
    """Parse every released version in avro/<subject>/v<N>.avsc."""
    versions = []
    for path in sorted(avro_dir.glob("*/v*.avsc")):
        # Parsed once, with fastavro's hint: without it fastavro parses the schema again on every record.
        parsed: Any = fastavro.parse_schema(json.loads(path.read_text()))
        versions.append(
            SchemaVersion(
                subject=path.parent.name,
                version=int(path.stem[1:]),
                full_name=parsed["name"],
                fingerprint=fingerprint_of(parsed),
                parsed=parsed,
                write=compile_writer(parsed),
            )
        )
    return versions


class AvroCodec:
    """Encode typed records and decode single-object Avro bytes back into them."""

    def __init__(self, versions: Iterable[SchemaVersion], contracts: Iterable[Contract] = CONTRACTS):
        self._by_fingerprint: dict[bytes, SchemaVersion] = {}
        latest: dict[str, SchemaVersion] = {}
        for v in versions:
            self._by_fingerprint[v.fingerprint] = v
            if v.subject not in latest or v.version > latest[v.subject].version:
                latest[v.subject] = v
        self._latest = latest
        self._model_by_subject = {c.subject: c.model for c in contracts}
        self._writer_by_model: dict[type[Event], SchemaVersion] = {}
        for contract in contracts:
            if contract.subject not in latest:
                raise ValueError(f"no released schema for subject {contract.subject!r}")
            self._writer_by_model[contract.model] = latest[contract.subject]

    @classmethod
    def from_directory(cls, avro_dir: Path = AVRO_DIR) -> AvroCodec:
        """Build a codec from every released schema version in a directory."""
        return cls(load_versions(avro_dir))

    def versions(self) -> tuple[SchemaVersion, ...]:
        """Return every released schema version this codec reads."""
        return tuple(self._by_fingerprint.values())

    def writer_for(self, model: type[Event]) -> SchemaVersion:
        """Return the schema version new records of a type are written with."""
        return self._writer_by_model[model]

    def encode(self, record: Event) -> bytes:
        """Encode a record with its subject's newest schema."""
        writer = self._writer_by_model[type(record)]
        return self.encode_with(writer, record.model_dump())

    def encode_datum(self, model: type[Event], datum: Mapping[str, Any]) -> bytes:
        """Encode a plain datum of a record type (its model_dump shape) with the type's newest schema."""
        return self.encode_with(self._writer_by_model[model], datum)

    def encode_with(self, writer: SchemaVersion, datum: Mapping[str, Any]) -> bytes:
        """Encode a plain datum with a given schema version (older producers, tests)."""
        if writer.write is not None:
            body = bytearray(MAGIC)
            body += writer.fingerprint
            writer.write(body, datum)
            return bytes(body)
        out = io.BytesIO()
        out.write(MAGIC)
        out.write(writer.fingerprint)
        fastavro.schemaless_writer(out, writer.parsed, datum)
        return out.getvalue()

    def decode_datum(self, data: bytes) -> tuple[SchemaVersion, dict[str, Any]]:
        """Decode bytes into the newest version's plain datum, or raise DecodeError."""
        if len(data) < HEADER_SIZE or data[:2] != MAGIC:
            raise DecodeError(
                ExceptionReason.DECODE_BAD_MAGIC, "value is not Avro single-object encoded (bad magic)"
            )
        writer = self._by_fingerprint.get(data[2:HEADER_SIZE])
        if writer is None:
            raise DecodeError(
                ExceptionReason.DECODE_UNKNOWN_FINGERPRINT,
                f"no released schema has fingerprint {data[2:HEADER_SIZE].hex()}",
            )
        reader = self._latest[writer.subject]
        body = io.BytesIO(data)
        body.seek(HEADER_SIZE)
        try:
            # Same schema: skip resolution; otherwise resolve old writer into the current reader.
            reader_schema = None if reader is writer else reader.parsed
            datum = fastavro.schemaless_reader(body, writer.parsed, reader_schema)
            end = body.tell()
        except Exception as exc:  # fastavro raises EOFError, ValueError, struct errors... on bad bodies
            raise DecodeError(
                ExceptionReason.DECODE_MALFORMED_BODY,
                f"{writer.full_name} v{writer.version} body does not decode: {type(exc).__name__}: {exc}",
            ) from exc
        if end != len(data):
            raise DecodeError(
                ExceptionReason.DECODE_MALFORMED_BODY,
                f"{len(data) - end} trailing bytes after a {writer.full_name} body",
            )
        if not isinstance(datum, dict):
            raise DecodeError(ExceptionReason.DECODE_MALFORMED_BODY, "body is not a record")
        return reader, datum

    def decode(self, data: bytes, expected: type[E]) -> E:
        """Decode bytes into a validated record of the expected type, or raise DecodeError."""
        schema, datum = self.decode_datum(data)
        model = self._model_by_subject.get(schema.subject)
        if model is not expected:
            raise DecodeError(
                ExceptionReason.DECODE_WRONG_RECORD_TYPE,
                f"expected {expected.__name__}, got {schema.full_name}",
                datum,
            )
        try:
            return expected.model_validate(datum)
        except ValidationError as exc:
            raise DecodeError(ExceptionReason.INVALID_RECORD, _summarize(exc), datum) from exc

    def decode_any(self, data: bytes) -> Event:
        """Decode bytes into whichever typed record their schema names."""
        schema, datum = self.decode_datum(data)
        model = self._model_by_subject[schema.subject]
        try:
            return model.model_validate(datum)
        except ValidationError as exc:
            raise DecodeError(ExceptionReason.INVALID_RECORD, _summarize(exc), datum) from exc


def _summarize(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    return "invalid record: " + "; ".join(parts)
