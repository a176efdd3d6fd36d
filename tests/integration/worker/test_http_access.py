"""The worker's HTTP server: bearer tokens and roles, bounded requests, valid keys, nothing echoed as HTML."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

import pytest

from tests.support.http import call
from tests.support.operators import OPERATORS, TOKENS, credential
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.integration

VIEWER, OPERATOR, ADMIN = (OPERATORS[name][0] for name in ("vera", "ana", "root"))


async def test_views_need_the_right_role_bound_requests_and_refuse_invalid_keys(
    start_worker: Callable[..., WorkerProcess],
) -> None:
    worker = start_worker(env={**credential(None), "PSFLOW_WEB_READS": "protected"})
    url = worker.url
    replies = []

    def check(
        path: str, expected: int, method: str = "GET", token: str | None = None, **kw: object
    ) -> object:
        reply = call(url + path, method, token, **kw)  # type: ignore[arg-type]
        replies.append(reply)
        assert reply.status == expected, (path, method, reply.status, reply.body[:300])
        if expected != 405:  # aiohttp's own 405 page is plain text; every psflow answer is JSON
            assert reply.headers["content-type"].startswith("application/json"), reply.headers
            assert reply.headers.get("x-content-type-options") == "nosniff"
        return reply.json() if expected != 405 else None

    # Reads are protected here: no token 401 (with a challenge), a viewer passes (unknown project: 404).
    assert "needs an operator credential" in str(check("/projects/P-NONE", 401))
    assert call(url + "/projects/P-NONE").headers["www-authenticate"] == 'Bearer realm="psflow"'
    check("/projects/P-NONE", 401, token="not-a-known-token")
    assert check("/projects/P-NONE", 404, token=VIEWER) == {"error": "unknown project", "id": "P-NONE"}
    check("/resources/R-NONE", 404, token=VIEWER)

    # A path id that is not a key is refused before anything looks it up, and never echoed.
    for bad in ("<script>alert(1)</script>", "P-A\x1fledger\x1fx", "x" * 129, "a b"):
        body = check("/projects/" + urllib.parse.quote(bad, safe=""), 400, token=VIEWER)
        assert bad not in str(body) and "<script>" not in str(body)

    # The one mutating endpoint: admin only; a body is bounded and must say what it wants.
    level = b'{"level": "debug"}'
    check("/admin/log-level", 401, "POST", body=level)
    assert "needs role admin; vera has viewer" in str(
        check("/admin/log-level", 403, "POST", VIEWER, body=level)
    )
    assert "needs role admin; ana has operator" in str(
        check("/admin/log-level", 403, "POST", OPERATOR, body=level)
    )
    assert check("/admin/log-level", 200, "POST", ADMIN, body=level) == {"level": "debug"}
    check("/admin/log-level", 400, "POST", ADMIN, body=b'{"level": "<b>loud</b>"}')
    check("/admin/log-level", 413, "POST", ADMIN, body=b"x" * (16 * 1024 + 1))
    check("/projects/P-NONE", 405, "POST", ADMIN, body=level)  # views are read-only

    # /health and /metrics stay open to probes; /health says how the worker talks to Kafka.
    health = check("/health", 200)
    assert isinstance(health, dict) and health["kafka"]["security_protocol"] == "PLAINTEXT"
    assert call(url + "/metrics").status == 200

    assert not [t for r in replies for t in TOKENS if t.encode() in r.body]
    assert "log level set to debug by root" in worker.tail(400)


async def test_reads_are_public_by_default_but_actions_are_not(
    start_worker: Callable[..., WorkerProcess],
) -> None:
    worker = start_worker(env=credential(None))

    assert call(worker.url + "/projects/P-NONE").status == 404
    assert call(worker.url + "/admin/log-level", "POST", body=b'{"level": "info"}').status == 401
