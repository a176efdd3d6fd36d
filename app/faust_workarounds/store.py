"""Read and write a Faust table's local store by partition, and log the writes ourselves.

Faust's table API routes a write through its producer buffer, one changelog record at a time, in the
partition of the *current event*, and its store reads the key index or every partition when no event is
current. psflow writes each batch's items once, after the batch's transaction committed, and logs them in
that same transaction itself (app.faust_workarounds.transactions). So it needs what Faust keeps private: the
store of one partition, a prefix scan of it (RocksDB keeps keys sorted), and the persisted changelog offset
that tells recovery where to resume. Faust's own exactly_once bookkeeping of that offset never fires (it
keys pending offsets by changelog partition and looks them up by source partition), so without this a
kept RocksDB would replay its whole changelog at every start.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import rocksdict
from faust.types import TP


def _store(table: Any) -> Any:
    return table.data


def _rocksdb(store: Any, partition: int) -> Any | None:
    """Return the RocksDB database of a partition, or None for a store without partitions (memory://)."""
    open_db = getattr(store, "_db_for_partition", None)
    return None if open_db is None else open_db(partition)


def local_get(table: Any, partition: int, key: bytes) -> bytes | None:
    """Return the locally stored value of a key in a partition."""
    store = _store(table)
    db = _rocksdb(store, partition)
    if db is None:
        value: bytes | None = store.data.get(key)
        return value
    found: bytes | None = db.get(key)
    return found


def local_scan(table: Any, partition: int, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield the locally stored (key, value) pairs of a partition whose key starts with `prefix`, in order."""
    store = _store(table)
    db = _rocksdb(store, partition)
    if db is None:
        yield from sorted((k, v) for k, v in store.data.items() if k.startswith(prefix))
        return
    it = db.iter()
    it.seek(prefix)
    while it.valid():
        key = it.key()
        if not key.startswith(prefix):
            return
        yield key, it.value()
        it.next()


def local_write(table: Any, partition: int, items: dict[bytes, bytes | None]) -> None:
    """Write a batch's items to a partition's local store (None deletes), atomically for RocksDB."""
    store = _store(table)
    db = _rocksdb(store, partition)
    if db is None:
        for key, value in items.items():
            if value is None:
                store.data.pop(key, None)
            else:
                store.data[key] = value
        return
    batch = rocksdict.WriteBatch(raw_mode=True)
    for key, value in items.items():
        if value is None:
            batch.delete(key)
        else:
            batch.put(key, value)
    db.write(batch)


def changelog_topic(table: Any) -> str:
    """Return the name of a table's changelog topic."""
    name: str = table.changelog_topic.get_topic_name()
    return name


def persist_changelog_offset(table: Any, partition: int, offset: int) -> None:
    """Record that the local store holds the table's changelog of a partition up to `offset`."""
    _store(table).set_persisted_offset(TP(changelog_topic(table), partition), offset)
