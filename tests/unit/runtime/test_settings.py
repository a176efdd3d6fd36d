"""Settings come from PSFLOW_* variables with documented defaults."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.runtime.settings import Settings
from app.security.kafka_security import SettingsError


def test_defaults_run_exactly_once_on_rocksdb() -> None:
    settings = Settings.from_env(environ={})
    assert settings.store == "rocksdb://"
    assert settings.processing_guarantee == "exactly_once"
    assert settings.web_port == 6066
    assert settings.topic_prefix == ""
    assert settings.broker == "127.0.0.1:9092"


def test_a_default_from_the_command_line_yields_to_the_environment() -> None:
    local = {"broker": "127.0.0.1:19092"}  # what `psflow kafka up` recorded

    assert Settings.from_env(environ={}, defaults=local).broker == "127.0.0.1:19092"
    assert (
        Settings.from_env(environ={"PSFLOW_BROKER": "kafka-1:9092"}, defaults=local).broker == "kafka-1:9092"
    )


def test_environment_variables_override_defaults() -> None:
    settings = Settings.from_env(
        environ={
            "PSFLOW_BROKER": "kafka-1:9092,kafka-2:9092",
            "PSFLOW_WEB_PORT": "7001",
            "PSFLOW_CLOSED_PERIODS": "2026-01, 2026-02",
            "PSFLOW_PARK_LIMIT": "3600",
            "PSFLOW_PROCESSING_GUARANTEE": "at_least_once",
        }
    )
    assert settings.broker == "kafka-1:9092,kafka-2:9092"
    assert settings.web_port == 7001
    assert settings.closed_periods == frozenset({"2026-01", "2026-02"})
    assert settings.park_limit == timedelta(hours=1)
    assert settings.processing_guarantee == "at_least_once"


def test_explicit_overrides_beat_the_environment() -> None:
    settings = Settings.from_env({"web_port": 7002}, environ={"PSFLOW_WEB_PORT": "7001"})
    assert settings.web_port == 7002


def test_a_malformed_closed_period_is_refused_at_start_up() -> None:
    with pytest.raises(SettingsError, match="PSFLOW_CLOSED_PERIODS"):
        Settings.from_env(environ={"PSFLOW_CLOSED_PERIODS": "2026-1"})
