"""The topic catalog agrees with the Avro contracts and keeps co-partitioned topics aligned."""

from __future__ import annotations

from app.contracts.codec import load_versions
from app.contracts.schema_gate import compatibility_modes
from app.contracts.subjects import AVRO_DIR
from app.contracts.topics import CATALOG, PROJECT_PARTITIONS

INPUTS = {
    "psa.projects",
    "psa.time-entries",
    "psa.milestones",
    "psa.resource-assignments",
    "erp.billing-status",
}
OUTPUTS = {"erp.billing-commands", "forecast.deltas", "ops.exceptions", "governance.replay-audit"}


def test_catalog_declares_every_input_and_output_topic_once() -> None:
    names = [t.name for t in CATALOG]
    assert len(names) == len(set(names))
    assert set(names) >= INPUTS | OUTPUTS


def test_project_keyed_topics_share_one_partition_count() -> None:
    project_keyed = [t for t in CATALOG if t.key.startswith("project_id")]
    assert {t.partitions for t in project_keyed} == {PROJECT_PARTITIONS}
    assert {t.name for t in project_keyed} >= {"psa.projects", "psa.time-entries", "erp.billing-commands"}


def test_input_topics_keep_their_history_for_replay() -> None:
    for topic in CATALOG:
        if topic.name in INPUTS:
            assert topic.retention_ms == -1 and topic.cleanup_policy == "delete", topic.name
            assert topic.retention_why


def test_every_topic_value_has_a_released_schema_with_the_catalog_compatibility_mode() -> None:
    subjects = {v.subject for v in load_versions()}
    modes = compatibility_modes(AVRO_DIR / "schemas.lock.json")
    for topic in CATALOG:
        assert topic.value_subject in subjects, topic.name
        assert modes[topic.value_subject] == topic.compatibility, topic.name
        assert topic.compatibility_why.startswith(topic.compatibility)
