"""Typed records of every topic: pydantic mirrors of the Avro contracts in avro/ (same field names)."""
