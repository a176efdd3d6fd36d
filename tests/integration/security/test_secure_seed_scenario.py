"""The seed scenario through SASL_SSL: SCRAM-SHA-512 over mutual TLS, as the `psflow` user, under ACLs.

The scenario is the plain broker's (tests/integration/worker/test_seed_scenario.py), collected here again so
this package's fixtures point its topics, its producer, its reads and its worker at the secured broker:
the worker's Faust consumer and transactional producers, its side producer, the period follower and the
topic admin all have to log in and be allowed for the exact commands and state to come out.
"""

from __future__ import annotations

import pytest

from tests.integration.worker.test_seed_scenario import (
    test_the_seed_scenario_posts_exactly_the_expected_commands_and_state,
)

pytestmark = pytest.mark.integration

__all__ = ["test_the_seed_scenario_posts_exactly_the_expected_commands_and_state"]
