"""Read every table entry of one facility, for a board snapshot.

We scan by key prefix rather than keep an index entry of the facility's keys:
an index would be rewritten (and grow) on every arrival and departure, while a
snapshot is rare (every `board_snapshot_every` messages and at start). Keys
start with the facility id, so in RocksDB — sorted by key, one database per
partition — the facility's entries are one contiguous range of the partition
that holds it; the memory store (tests, laptops) is filtered instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from projections.board_stream import facility_prefix


def facility_items(table: Any, partition: int, facility_id: str) -> Iterator[tuple[str, bytes]]:
    """(key, raw value) of every entry of `facility_id`, which lives in `partition`."""
    prefix = facility_prefix(facility_id)
    store = table.data
    if hasattr(store, "_db_for_partition"):  # faust.stores.rocksdb.Store
        raw_prefix = prefix.encode()
        db = store._db_for_partition(partition)
        for raw_key, value in db.items(from_key=raw_prefix):
            if not raw_key.startswith(raw_prefix):
                break
            yield raw_key.decode(), value
        return
    for raw_key, value in table.items():
        key = raw_key.decode()
        if key.startswith(prefix):
            yield key, value
