"""Tables written by versions before keyed items: one growing JSON value per subject, read once and split."""

from __future__ import annotations

from typing import Any

import faust

from app.contracts.topology import PROJECT_FORECASTS, PROJECT_LEDGERS, RESOURCE_PLANS, TableSpec
from app.faust_workarounds.store import local_get


class LegacyTable:
    """A legacy table, still recovered from its changelog: a subject's old value is split on first use."""

    def __init__(self, app: faust.App, spec: TableSpec):
        self.spec = spec
        self.table: Any = app.Table(
            spec.name, key_type=bytes, value_type=bytes, partitions=spec.partitions, help=spec.help
        )

    def value(self, partition: int, subject: str) -> bytes | None:
        """Return a subject's legacy value, if this version has not split it yet."""
        return local_get(self.table, partition, subject.encode())


def legacy_tables(app: faust.App) -> tuple[LegacyTable, LegacyTable, LegacyTable]:
    """Declare the legacy ledger, project forecast and resource plan tables."""
    return (
        LegacyTable(app, PROJECT_LEDGERS),
        LegacyTable(app, PROJECT_FORECASTS),
        LegacyTable(app, RESOURCE_PLANS),
    )
