"""The topology as data: what the worker declares is what replay and reset read."""

from __future__ import annotations

from pathlib import Path

import faust

from app.contracts import topology
from app.contracts.topics import (
    ASSIGNMENTS_BY_PROJECT,
    CATALOG,
    ENTRY_MOVES,
    ERP_BILLING_STATUS,
    LEDGER_CORRECTIONS,
    PSA_MILESTONES,
    PSA_PROJECTS,
    PSA_RESOURCE_ASSIGNMENTS,
    PSA_TIME_ENTRIES,
    TIME_BY_RESOURCE,
    TopicNames,
    partition_for,
)


def test_faust_names_every_table_changelog_as_the_topology_declares(tmp_path: Path) -> None:
    app = faust.App("psflow-naming", broker="kafka://127.0.0.1:1", store="memory://", datadir=str(tmp_path))

    for spec in topology.TABLES:
        table = app.Table(spec.name, key_type=bytes, value_type=bytes, partitions=spec.partitions)
        assert table.changelog_topic.get_topic_name() == spec.changelog_topic("psflow-naming")


def test_a_reset_replays_what_the_group_is_given_and_regenerates_what_it_derives() -> None:
    given = set(topology.given())
    derived = set(topology.repartitions())

    assert given == {
        PSA_PROJECTS,
        PSA_TIME_ENTRIES,
        PSA_MILESTONES,
        ERP_BILLING_STATUS,
        LEDGER_CORRECTIONS,
        PSA_RESOURCE_ASSIGNMENTS,
    }
    assert derived == {TIME_BY_RESOURCE, ASSIGNMENTS_BY_PROJECT, ENTRY_MOVES}
    assert given | derived == set(topology.consumed())


def test_an_operator_may_replay_only_what_the_psa_and_the_erp_publish() -> None:
    assert {s.owner for s in topology.external()} == {"PSA", "ERP"}
    assert LEDGER_CORRECTIONS not in topology.PROJECT_LEDGER.external_inputs()
    assert LEDGER_CORRECTIONS in topology.PROJECT_LEDGER.inputs


def test_every_agent_reads_catalog_topics_and_its_inputs_are_co_partitioned() -> None:
    for agent in topology.STAGES:
        assert set(agent.inputs) <= set(CATALOG), agent.name
        assert len({spec.partitions for spec in agent.inputs}) == 1, agent.name


def test_the_prefix_rule_and_the_key_partitioner_have_one_definition() -> None:
    assert TopicNames("t1.").of(PSA_PROJECTS) == "t1.psa.projects"
    # Kafka's default partitioner (murmur2, positive, modulo): the same for str and bytes keys.
    assert partition_for("P-ORION", 6) == partition_for(b"P-ORION", 6)
    assert {partition_for(f"P-{n}", 6) for n in range(60)} == set(range(6))
