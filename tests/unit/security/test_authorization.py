"""Who may do what: each action's role, the order of roles, and why a caller is refused."""

from __future__ import annotations

import pytest

from app.security.authorization import REQUIRED, Action, Operator, Role, decide

VIEWER = Operator("vera", frozenset({Role.VIEWER}))
OPERATOR = Operator("ana", frozenset({Role.OPERATOR}))
ADMIN = Operator("root", frozenset({Role.ADMIN}))


def test_every_action_names_the_role_it_needs() -> None:
    assert set(REQUIRED) == set(Action)
    assert REQUIRED[Action.APPLY] is Role.OPERATOR
    assert REQUIRED[Action.REDRIVE] is Role.OPERATOR
    assert REQUIRED[Action.RESET_EXECUTE] is Role.ADMIN
    assert {a for a, role in REQUIRED.items() if role is Role.VIEWER} == {
        Action.READ_STATE,
        Action.PLAN,
        Action.PREVIEW,
        Action.HISTORY,
        Action.REDRIVE_DRY_RUN,
        Action.RESET_DRY_RUN,
    }


@pytest.mark.parametrize("action", list(Action))
def test_a_higher_role_may_do_all_a_lower_one_may(action: Action) -> None:
    allowed = [decide(who, action).allowed for who in (VIEWER, OPERATOR, ADMIN)]
    assert allowed == sorted(allowed)  # once allowed, allowed for every higher role
    assert allowed[-1]  # an admin may do everything


def test_no_credential_is_unauthenticated_and_a_low_role_is_forbidden() -> None:
    anonymous = decide(None, Action.APPLY)
    viewer = decide(VIEWER, Action.APPLY)
    operator = decide(OPERATOR, Action.APPLY)

    assert (anonymous.allowed, anonymous.authenticated) == (False, False)
    assert anonymous.reason == "replay apply needs an operator credential (role operator)"
    assert (viewer.allowed, viewer.authenticated) == (False, True)
    assert viewer.reason == "replay apply needs role operator; vera has viewer"
    assert operator.allowed
    assert not decide(OPERATOR, Action.RESET_EXECUTE).allowed


def test_the_highest_of_several_roles_counts_and_no_role_allows_nothing() -> None:
    both = Operator("bo", frozenset({Role.VIEWER, Role.ADMIN}))
    nobody = Operator("nemo", frozenset())

    assert decide(both, Action.RESET_EXECUTE).allowed
    assert not decide(nobody, Action.READ_STATE).allowed
    assert "nemo has no role" in decide(nobody, Action.READ_STATE).reason


def test_roles_are_named_as_configured() -> None:
    assert Role.named(" Operator ") is Role.OPERATOR
    assert Role.ADMIN.label == "admin"
    with pytest.raises(ValueError, match="unknown role 'root'"):
        Role.named("root")
