"""Settings as the command line reads them: PSFLOW_* over the broker `psflow kafka up` started."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

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


def _show(_args: argparse.Namespace) -> int:
    print(settings().model_dump_json(indent=2))  # SecretStr: the password prints as **********
    return 0


def add_commands(subparsers: Any) -> None:
    """Register `psflow settings`."""
    parser = subparsers.add_parser("settings", help="print the effective settings (secrets redacted)")
    parser.set_defaults(func=_show)
