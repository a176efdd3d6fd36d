"""Settings as the command line reads them: PSFLOW_* over the broker `psflow kafka up` started."""

from __future__ import annotations

from collections.abc import Mapping

from app.devkit.dev_broker import process_environment, recorded_bootstrap
from app.runtime.settings import Settings


def settings(overrides: Mapping[str, object] | None = None) -> Settings:
    """Return the settings of a command; with no PSFLOW_BROKER, the local developer broker if it runs.

    A secured developer broker (`psflow kafka up --secure`) brings its client variables along.
    """
    running = recorded_bootstrap()
    return Settings.from_env(
        overrides, environ=process_environment(), defaults={"broker": running} if running else None
    )
