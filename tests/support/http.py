"""One HTTP request to a worker, any method, with headers and a body; returns what a client would see."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class Reply:
    """A response: status, headers (lower-case names) and the raw body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        """Return the body decoded as JSON."""
        return orjson.loads(self.body)


def call(
    url: str, method: str = "GET", token: str | None = None, body: bytes | None = None, **headers: str
) -> Reply:
    """Send one request; an HTTP error status is a reply like any other."""
    sent = {k.replace("_", "-"): v for k, v in headers.items()}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())
