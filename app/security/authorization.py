"""Who may do what: operators, their roles, and the role each action needs. Pure: no I/O, no clock.

Roles are ordered, each including the ones below it: viewer < operator < admin.

- viewer: read state (the worker's project and resource views when protected), plan, preview and history
  of replays, dry runs of redrive and reset;
- operator: what changes what the ERP or the worker receives, reversibly and idempotently: replay apply,
  redrive;
- admin: what throws state away or changes how a worker runs: reset --execute, a worker's log level.

The command line and the worker's HTTP server both ask `decide`; a future console asks it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class Role(IntEnum):
    """An operator's role; a higher role may do everything a lower one may."""

    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @classmethod
    def named(cls, name: str) -> Role:
        """Return the role called `name` (viewer, operator, admin)."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r}: viewer, operator or admin") from None

    @property
    def label(self) -> str:
        """Return the role's name as configured."""
        return self.name.lower()


class Action(Enum):
    """Everything psflow lets an operator do; the value is how it is named in messages."""

    READ_STATE = "read project and resource state"
    PLAN = "replay plan"
    PREVIEW = "replay preview"
    HISTORY = "replay history"
    REDRIVE_DRY_RUN = "replay redrive --dry-run"
    RESET_DRY_RUN = "replay reset (dry run)"
    APPLY = "replay apply"
    REDRIVE = "replay redrive"
    RESET_EXECUTE = "replay reset --execute"
    SET_LOG_LEVEL = "set a worker's log level"


REQUIRED: dict[Action, Role] = {
    Action.READ_STATE: Role.VIEWER,
    Action.PLAN: Role.VIEWER,
    Action.PREVIEW: Role.VIEWER,
    Action.HISTORY: Role.VIEWER,
    Action.REDRIVE_DRY_RUN: Role.VIEWER,
    Action.RESET_DRY_RUN: Role.VIEWER,
    Action.APPLY: Role.OPERATOR,
    Action.REDRIVE: Role.OPERATOR,
    Action.RESET_EXECUTE: Role.ADMIN,
    Action.SET_LOG_LEVEL: Role.ADMIN,
}


@dataclass(frozen=True)
class Operator:
    """An authenticated operator: the name every audit record carries, and the roles granted."""

    name: str
    roles: frozenset[Role]

    @property
    def highest(self) -> Role | None:
        """Return the operator's highest role (None if granted none)."""
        return max(self.roles, default=None)


@dataclass(frozen=True)
class Decision:
    """The answer to "may this caller do that": allowed, or why not (unauthenticated, or forbidden)."""

    allowed: bool
    authenticated: bool
    reason: str


def decide(operator: Operator | None, action: Action) -> Decision:
    """Tell whether `operator` (None: no valid credential) may do `action`, and why not if not."""
    needed = REQUIRED[action]
    if operator is None:
        return Decision(False, False, f"{action.value} needs an operator credential (role {needed.label})")
    highest = operator.highest
    if highest is None or highest < needed:
        has = highest.label if highest is not None else "no role"
        return Decision(False, True, f"{action.value} needs role {needed.label}; {operator.name} has {has}")
    return Decision(True, True, f"{operator.name} ({highest.label}) may {action.value}")
