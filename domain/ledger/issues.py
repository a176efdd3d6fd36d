"""The life of a project's exceptions: raised once, resolved once, reopened under the same id if it recurs.

Rules emit an OPEN exception whenever they find a problem and a RESOLVED one whenever a problem they could
have raised is gone; this is where that becomes one queue entry per problem: an OPEN already open is not
sent again, a RESOLVED of an id that is not open is not sent at all, and every record carries the time its
id was first seen.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.ledger.state import Raised
from domain.ledger.view import LedgerView
from domain.records.ops import BusinessException, ExceptionState


def track(
    ledger: LedgerView, exceptions: Iterable[BusinessException], again: str | None = None
) -> tuple[BusinessException, ...]:
    """Return the exceptions to send, remembering each id's state (`again`: an id being re-driven)."""
    out: list[BusinessException] = []
    seen: set[str] = set()
    for exc in exceptions:
        exc_id = exc.exception_id
        mark = ledger.raised(exc_id)
        if exc.state is ExceptionState.RESOLVED:
            if mark is None or mark.resolved:
                continue  # nothing open to clear
            ledger.put_raised(exc_id, mark.model_copy(update={"resolved": True}))
            out.append(_first_seen(exc, mark))
            continue
        if exc_id in seen or (mark is not None and not mark.resolved and exc_id != again):
            continue
        seen.add(exc_id)
        if mark is None:
            ledger.put_raised(exc_id, Raised(first_seen=exc.first_seen_at or exc.occurred_at))
            out.append(exc)
        elif mark.resolved:
            # The same problem again after it was cleared: the same id, a new event.
            opened = mark.opened + 1
            event_id = f"{exc.envelope.event_id}:reopened-{opened}"
            reopened = exc.model_copy(
                update={"envelope": exc.envelope.model_copy(update={"event_id": event_id})}
            )
            ledger.put_raised(exc_id, mark.model_copy(update={"resolved": False, "opened": opened}))
            out.append(_first_seen(reopened, mark))
        else:
            out.append(_first_seen(exc, mark))  # re-driven: sent again under its id
    return tuple(out)


def note(ledger: LedgerView, exceptions: Iterable[BusinessException]) -> tuple[BusinessException, ...]:
    """Remember how a re-drive ended (records built outside the rules), filling in first seen where known."""
    out = []
    for exc in exceptions:
        mark = ledger.raised(exc.exception_id)
        if mark is not None:
            resolved = exc.state is ExceptionState.RESOLVED
            ledger.put_raised(exc.exception_id, mark.model_copy(update={"resolved": resolved}))
            exc = _first_seen(exc, mark)
        out.append(exc)
    return tuple(out)


def _first_seen(exc: BusinessException, mark: Raised) -> BusinessException:
    if mark.first_seen is None:
        return exc
    return exc.model_copy(update={"first_seen_at": mark.first_seen})
