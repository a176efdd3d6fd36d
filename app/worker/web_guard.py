"""What every HTTP view checks before it runs: request size, the path id, and the caller's bearer token.

- a body is bounded (413 past MAX_BODY; 411 for a chunked one, whose size is unknown up front);
- a path id must be a valid key (400 otherwise): letters, digits and `. _ - : @ # + ~`, at most 128,
  so no control character (the item separator of keyed state is one), no markup, no path;
- an action needs `Authorization: Bearer <token>` of an operator with its role (401 without a known
  token, 403 with too low a role); reading project and resource state needs one only when
  PSFLOW_WEB_READS=protected. The decision is app.security.authorization's.

Every refusal is a small JSON body with `nosniff`, and never repeats the token or the raw input.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import orjson
from faust import web

from app.security.authorization import Action, decide
from app.security.operators import OperatorRegistry

MAX_BODY = 16 * 1024
KEY = re.compile(r"^[\w.:@#+~-]{1,128}$")
# Browsers must not guess another type from the body (a JSON error rendered as HTML).
HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}

Handler = Callable[..., Awaitable[web.Response]]


def json_response(
    view: web.View, body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Return a JSON response with the hardening headers."""
    response: web.Response = view.bytes(
        orjson.dumps(body),
        content_type="application/json",
        status=status,
        headers={**HEADERS, **(headers or {})},
    )
    return response


class Guard:
    """The checks of one worker's views, with its operators and read policy."""

    def __init__(self, operators: OperatorRegistry | None, protect_reads: bool):
        self.operators = operators
        self.protect_reads = protect_reads

    def __call__(self, action: Action | None, key: str | None = None) -> Callable[[Handler], Handler]:
        """Decorate a view: size, then path id (`key`, a match_info name), then the caller's role."""

        def decorate(handler: Handler) -> Handler:
            @wraps(handler)
            async def guarded(view: web.View, request: web.Request, *args: Any, **kwargs: Any) -> Any:
                refusal = self.refusal(request, action, kwargs.get(key) if key else None)
                if refusal is not None:
                    status, body, headers = refusal
                    return json_response(view, body, status, headers)
                return await handler(view, request, *args, **kwargs)

            return guarded

        return decorate

    def refusal(
        self, request: Any, action: Action | None, key: str | None
    ) -> tuple[int, dict[str, str], dict[str, str]] | None:
        """Return (status, body, headers) of the refusal of a request, or None to serve it."""
        if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return 411, {"error": "a body must have a Content-Length"}, {}
        if (request.content_length or 0) > MAX_BODY:
            return 413, {"error": f"body larger than {MAX_BODY} bytes"}, {}
        if key is not None and not KEY.match(key):
            return 400, {"error": "not a valid key: letters, digits and . _ - : @ # + ~, at most 128"}, {}
        if action is None or (action is Action.READ_STATE and not self.protect_reads):
            return None
        operator = self.operators.identify(bearer(request)) if self.operators is not None else None
        decision = decide(operator, action)
        if not decision.authenticated:
            challenge = {"WWW-Authenticate": 'Bearer realm="psflow"'}
            return 401, {"error": f"{decision.reason}: send Authorization: Bearer <token>"}, challenge
        if not decision.allowed:
            return 403, {"error": decision.reason}, {}
        return None


def bearer(request: Any) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header, None if there is none."""
    scheme, _, token = str(request.headers.get("Authorization", "")).partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
