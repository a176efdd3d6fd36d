"""Run a real single-node Apache Kafka (KRaft: one combined broker + controller) on this machine.

`LocalKafka` starts and stops one broker from the jars that app.devkit.kafka_jars caches (process and socket
plumbing lives in app.devkit.kafka_process); the test suite starts one per session (tests/conftest.py).
The long-lived developer broker of `psflow kafka up | down | status` is app.devkit.dev_broker.
"""

from __future__ import annotations

# bandit: the dev kit runs java, keytool, mvn and psflow itself from argument lists, never through a shell
import subprocess  # nosec B404
import time
from pathlib import Path
from types import TracebackType

from app.devkit.kafka_jars import (
    LOG4J_CONFIG,
    KafkaSetupError,
    ensure_kafka_jars,
    find_java,
)
from app.devkit.kafka_process import (
    HOST,
    LocalKafkaError,
    file_size,
    free_ports,
    log_errors,
    pid_is_alive,
    port_is_free,
    probe_cluster_id,
    random_cluster_id,
    read_from,
    stop_process,
)

__all__ = [
    "DEFAULT_PORT",
    "KafkaSetupError",
    "LocalKafka",
    "LocalKafkaError",
    "free_ports",
    "pid_is_alive",
    "port_is_free",
    "probe_cluster_id",
    "stop_process",
]

DEFAULT_PORT = 9092

# A single combined broker and controller, wherever it runs (here, or docker-compose.yml's `kafka`).
SINGLE_NODE = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.listener.names": "CONTROLLER",
    # Topics come only from `psflow topics apply` and from Faust for its own internal topics;
    # a typo in a topic name must fail loudly, not create a stray topic.
    "auto.create.topics.enable": "false",
    "num.partitions": "1",
    "default.replication.factor": "1",
    # A single node cannot satisfy the production defaults of 3 replicas for internal topics.
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "8",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "8",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    # Consumers in tests join one at a time; waiting 3 s for more members only slows them down.
    "group.initial.rebalance.delay.ms": "0",
}

_POLL_S = 0.1


class LocalKafka:
    """One single-node KRaft Kafka broker + controller running from the cached jars."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        heap_mb: int = 512,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        spare = iter(free_ports(2))
        # 0 or None means "any free port", so parallel test runs on one machine never collide.
        self.port = port or next(spare)
        self.controller_port = controller_port or next(spare)
        if self.controller_port == self.port:
            self.controller_port = next(spare)
        self.heap_mb = heap_mb
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offsets = (0, 0)

    @property
    def bootstrap(self) -> str:
        """Return the address clients connect to, "127.0.0.1:PORT"."""
        return f"{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Return the process id of the broker last started by this object, or None."""
        return self._process.pid if self._process is not None else None

    @property
    def properties_path(self) -> Path:
        """Return the server.properties this broker runs with."""
        return self.data_dir / "server.properties"

    @property
    def log_path(self) -> Path:
        """Return the broker's log4j log file."""
        return self.data_dir / "server.log"

    @property
    def _console_path(self) -> Path:
        return self.data_dir / "kafka.out"

    @property
    def _storage_dir(self) -> Path:
        return self.data_dir / "data"

    def is_running(self) -> bool:
        """Return whether the broker process started by this object is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout_s: float = 120) -> str:
        """Start the broker (formatting its storage on first use), wait until it serves, return bootstrap."""
        if self.is_running():
            return self.bootstrap
        deadline = time.monotonic() + timeout_s
        java = find_java()
        libs = ensure_kafka_jars()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare()
        self._write_properties()
        jvm = [
            java,
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.data_dir}",
            "-cp",
            f"{libs}/*",
        ]
        cluster_id = self._cluster_id() or self._format(jvm)

        heap = [f"-Xmx{self.heap_mb}m", f"-Xms{min(128, self.heap_mb)}m"]
        # Diagnostics show only what this start wrote; a persistent data dir keeps older runs' logs.
        self._log_offsets = (file_size(self._console_path), file_size(self.log_path))
        with self._console_path.open("ab") as console:
            # Own session: Ctrl-C in the terminal running pytest or psflow must not kill the broker
            # mid-teardown, and `psflow kafka up` must leave it running after the command exits.
            self._process = subprocess.Popen(  # nosec B603
                [jvm[0], *heap, *jvm[1:], "kafka.Kafka", str(self.properties_path)],
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        try:
            self._wait_until_serving(cluster_id, deadline, timeout_s)
        except BaseException:
            self.stop()
            raise
        return self.bootstrap

    def stop(self, timeout_s: float = 30) -> None:
        """Stop the broker: SIGTERM, wait for a clean shutdown, SIGKILL after timeout_s."""
        if self._process is not None and self._process.poll() is None:
            stop_process(self._process.pid, timeout_s, self._process)

    def __enter__(self) -> LocalKafka:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare(self) -> None:
        """Make what the broker needs before its properties are written (a secured broker's certificates)."""

    def _write_properties(self) -> None:
        # Rewritten on every start: ports may differ between runs of a persistent data dir, and a static
        # voter list takes the controller address from here, not from the formatted storage.
        text = "".join(f"{key}={value}\n" for key, value in self._properties().items())
        self.properties_path.write_text("# Written by app/devkit/local_kafka.py on every start.\n" + text)

    def _properties(self) -> dict[str, str]:
        """Return the broker's server.properties."""
        return {
            **SINGLE_NODE,
            "controller.quorum.voters": f"1@{HOST}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self._storage_dir),
        }

    def _format_options(self) -> list[str]:
        """Return extra `kafka-storage format` options (the secured broker's SCRAM users)."""
        return []

    def _answered_cluster_id(self) -> str | None:
        """Return the cluster id the broker answers with on its client port, None while it does not."""
        return probe_cluster_id(HOST, self.port, timeout_s=1.0)

    def _cluster_id(self) -> str | None:
        meta = self._storage_dir / "meta.properties"
        if not meta.is_file():
            return None
        for line in meta.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "cluster.id":
                return value.strip()
        return None

    def _format(self, jvm: list[str]) -> str:
        cluster_id = random_cluster_id()
        # No --standalone: with a static controller.quorum.voters list, StorageTool refuses it.
        command = [
            *jvm,
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(self.properties_path),
            *self._format_options(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.data_dir)  # nosec B603
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise LocalKafkaError(f"formatting Kafka storage in {self._storage_dir} failed:\n{output}")
        return cluster_id

    def _wait_until_serving(self, cluster_id: str, deadline: float, timeout_s: float) -> None:
        assert self._process is not None
        while True:
            exit_code = self._process.poll()
            if exit_code is not None:
                raise LocalKafkaError(
                    f"Kafka exited with status {exit_code} during startup.\n{self._diagnostics()}"
                )
            answered = self._answered_cluster_id()
            # Comparing the cluster id makes sure the answer is from our broker, not from another
            # process that grabbed the port between free_ports() and the JVM binding it.
            if answered == cluster_id:
                return
            if answered is not None:
                raise LocalKafkaError(
                    f"another Kafka (cluster {answered}) already listens on {self.bootstrap}"
                )
            if time.monotonic() >= deadline:
                waited = f"Kafka did not answer on {self.bootstrap} within {timeout_s:.0f} s."
                raise LocalKafkaError(f"{waited}\n{self._diagnostics()}")
            time.sleep(_POLL_S)

    def _diagnostics(self) -> str:
        console = read_from(self._console_path, self._log_offsets[0]).strip()[-3000:]
        errors = log_errors(read_from(self.log_path, self._log_offsets[1])) or "(no ERROR lines)"
        return (
            f"--- errors in {self.log_path} ---\n{errors}\n"
            f"--- {self._console_path} ---\n{console or '(empty)'}"
        )
