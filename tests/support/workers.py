"""Run real psflow workers as subprocesses, as operators do, and wait for readiness by polling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import orjson


@dataclass
class WorkerProcess:
    """A `psflow worker` subprocess with its own web port and state folder."""

    env: dict[str, str]
    web_port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Return the worker's HTTP base URL."""
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> WorkerProcess:
        """Start the worker process."""
        log = self.log_path.open("ab")
        self._log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def get(self, path: str, timeout_s: float = 5.0) -> tuple[int, object]:
        """GET a path and return the status and decoded JSON body."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout_s) as response:
                return response.status, orjson.loads(response.read())
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return error.code, orjson.loads(body) if body else None
            except orjson.JSONDecodeError:
                return error.code, body.decode(errors="replace")  # e.g. the web server's own 500 page

    def wait_ready(self, timeout_s: float = 90.0, partitions: int | None = None) -> None:
        """Poll /health until the worker is ready (and holds `partitions` assigned partitions, if given)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}: {self.tail()}")
            try:
                status, body = self.get("/health", timeout_s=2.0)
                if status == 200 and isinstance(body, dict):
                    assigned = body.get("assigned", [])
                    if partitions is None or len(assigned) >= partitions:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)  # polling interval, not a wait for an outcome
        raise AssertionError(f"worker not ready in {timeout_s}s: {self.tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> int | None:
        """Stop the worker with a signal; SIGKILL if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)

    def tail(self, lines: int = 40) -> str:
        """Return the end of the worker's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def worker_env(
    cluster: dict[str, str], app_id: str, prefix: str, data_dir: Path, web_port: int
) -> dict[str, str]:
    """Return the environment of a worker in one test's namespace (`cluster`: broker and security)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSFLOW_")}
    env.update(cluster)
    env.update(
        PSFLOW_APP_ID=app_id,
        PSFLOW_TOPIC_PREFIX=prefix,
        PSFLOW_DATA_DIR=str(data_dir),
        PSFLOW_WEB_PORT=str(web_port),
        PSFLOW_LOG_LEVEL="info",
        # Settle forecasts at every batch end: a test that waits for its inputs to be consumed then reads
        # every delta they cause. The chaos suite and tests/agents cover the deferred cadence.
        PSFLOW_FORECAST_INTERVAL="0",
    )
    return env
