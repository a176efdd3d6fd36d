"""Process and network plumbing of the local Kafka broker (app.devkit.local_kafka): ports, probes, signals."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import struct

# bandit: the dev kit runs java, keytool, mvn and psflow itself from argument lists, never through a shell
import subprocess  # nosec B404
import time
import uuid
from pathlib import Path

HOST = "127.0.0.1"


class LocalKafkaError(RuntimeError):
    """The local broker failed to start, answer or stop."""


def free_ports(count: int = 1) -> list[int]:
    """Return `count` distinct TCP ports on 127.0.0.1 that are free right now."""
    sockets = []
    try:
        # Hold every socket open until all are bound, so the kernel cannot hand out the same port twice.
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_free(port: int) -> bool:
    """Return whether a server could listen on 127.0.0.1:port now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Kafka binds with SO_REUSEADDR too, so a port lingering in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def random_cluster_id() -> str:
    """Return a new Kafka cluster id."""
    # Same format and exclusions as Kafka's Uuid.randomUuid() (what `StorageTool random-uuid` prints):
    # URL-safe base64 of 16 random bytes, never all-zero, never starting with "-" (reads as a CLI flag).
    # Made here because a JVM start just to print it costs ~2 s on every fresh broker.
    while True:
        raw = uuid.uuid4().bytes
        text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        if raw != bytes(16) and not text.startswith("-"):
            return text


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        chunks += chunk
    return bytes(chunks)


def probe_cluster_id(host: str, port: int, timeout_s: float = 2.0) -> str | None:
    """Send one Kafka Metadata request; return the cluster id if a broker answers, else None."""
    # A hand-rolled Metadata v4 request (the oldest version Kafka 4 still serves) keeps start() synchronous
    # and usable from inside a running event loop; aiokafka would need a loop of its own.
    client_id = b"psflow-probe"
    request = struct.pack(">hhih", 3, 4, 7, len(client_id)) + client_id + struct.pack(">i?", 0, False)
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            body = _recv_exact(sock, size)
        correlation_id, _throttle_ms, broker_count = struct.unpack_from(">iii", body)
        offset = 12
        for _ in range(broker_count):
            (host_len,) = struct.unpack_from(">h", body, offset + 4)
            offset += 4 + 2 + host_len + 4
            (rack_len,) = struct.unpack_from(">h", body, offset)
            offset += 2 + max(rack_len, 0)
        (id_len,) = struct.unpack_from(">h", body, offset)
        cluster_id = body[offset + 2 : offset + 2 + id_len].decode() if id_len >= 0 else None
    except (OSError, struct.error, UnicodeDecodeError):
        return None
    # No registered broker yet means the node is up but not serving; keep waiting.
    if correlation_id != 7 or broker_count == 0:
        return None
    return cluster_id


def pid_is_alive(pid: int) -> bool:
    """Return whether a process with this id exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): the signal probe is all we have
    # The state letter follows the parenthesised command name; "Z" is exited but not yet reaped.
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def is_kafka_process(pid: int) -> bool:
    """Return whether pid is a live Kafka broker JVM (not a recycled pid)."""
    if not pid_is_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # cannot check; trust the live pid
    # Guards against a recycled pid (after a reboot the state file may name some unrelated process).
    return b"kafka.Kafka" in cmdline


def stop_process(pid: int, timeout_s: float = 30, process: subprocess.Popen[bytes] | None = None) -> bool:
    """Stop a broker with SIGTERM, SIGKILL it after timeout_s; return whether it was running."""

    def gone(deadline: float) -> bool:
        while True:
            # A child must be reaped (poll) or it lingers as a zombie that still answers kill(pid, 0).
            if (process.poll() is not None) if process is not None else not pid_is_alive(pid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        if process is not None:
            process.poll()
        return False
    if gone(time.monotonic() + timeout_s):
        return True
    # The broker runs in its own session (start_new_session), so its group is just the JVM.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not gone(time.monotonic() + 10):
        raise LocalKafkaError(f"Kafka process {pid} survived SIGKILL")
    return True


def file_size(path: Path) -> int:
    """Return a file's size in bytes, 0 if it does not exist."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_from(path: Path, offset: int) -> str:
    """Return a file's text from byte offset on, "" if it cannot be read."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def log_errors(text: str, max_lines: int = 40) -> str:
    """Return the ERROR/FATAL entries of a Kafka log with their exception messages, minus stack frames."""
    # A failed start logs its cause once and then hundreds of INFO shutdown lines, so a plain tail of
    # server.log hides the one line that matters.
    kept: list[str] = []
    in_error = False
    for line in text.splitlines():
        if line.startswith("["):
            in_error = "] ERROR " in line or "] FATAL " in line
            if in_error:
                kept.append(line)
        elif in_error and line.strip() and not line.lstrip().startswith(("at ", "...")):
            kept.append(line)  # the exception class and message, or a "Caused by:"
    return "\n".join(kept[:max_lines])
