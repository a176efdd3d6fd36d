"""Find Java and the Apache Kafka jars that the local broker (app.devkit.local_kafka) runs from.

The jars are never committed: `kafka/pom.xml` names the Kafka version (the only place it is written) and the
machine's Maven resolves it into `<cache>/kafka/<version>/libs` once. `<cache>` is `$PSFLOW_CACHE_DIR` or
`<repo>/.cache`; `$PSFLOW_KAFKA_JARS_DIR` replaces `<cache>/kafka` as the jar root, so a throwaway cache
(a test's tmp dir) can share the jars already downloaded instead of fetching them again.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil

# bandit: the dev kit runs java, keytool, mvn and psflow itself from argument lists, never through a shell
import subprocess  # nosec B404
import sys
import tempfile

# bandit: parses only kafka/pom.xml, the project's own file (and elementtree expands no external entity).
import xml.etree.ElementTree as ET  # nosec B405
from pathlib import Path

from app.runtime.settings import REPO_ROOT, cache_dir

POM_PATH = REPO_ROOT / "kafka" / "pom.xml"
LOG4J_CONFIG = REPO_ROOT / "kafka" / "log4j2.yaml"

MIN_JAVA_MAJOR = 17

# Written last into a finished jar folder; a folder without it is a download that was cut short.
_MARKER = ".complete"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


class KafkaSetupError(RuntimeError):
    """Java, Maven or the Kafka jars are missing or unusable."""


def jars_root() -> Path:
    """Return the folder holding one `<version>/libs` jar folder per Kafka version."""
    configured = os.environ.get("PSFLOW_KAFKA_JARS_DIR")
    return Path(configured).expanduser().resolve() if configured else cache_dir() / "kafka"


def kafka_version(pom: Path = POM_PATH) -> str:
    """Return the Kafka version that kafka/pom.xml resolves."""
    node = ET.parse(pom).getroot().find("m:properties/m:kafka.version", _POM_NS)  # nosec B314
    if node is None or not (node.text or "").strip():
        raise KafkaSetupError(f"{pom} has no <properties><kafka.version>")
    return (node.text or "").strip()


def libs_dir(version: str | None = None) -> Path:
    """Return where the jars of one Kafka version live (whether or not they are there yet)."""
    return jars_root() / (version or kafka_version()) / "libs"


def _pom_digest(pom: Path) -> str:
    # Keyed on the pom's content, not just the version, so adding a dependency (a log binding, say)
    # refreshes a cache that was filled by an older pom for the same Kafka version.
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def _is_complete(libs: Path, digest: str) -> bool:
    marker = libs / _MARKER
    return marker.is_file() and marker.read_text().strip() == digest


def ensure_kafka_jars(pom: Path = POM_PATH) -> Path:
    """Resolve the Kafka jars with Maven unless already cached, and return their folder."""
    version = kafka_version(pom)
    libs = libs_dir(version)
    digest = _pom_digest(pom)
    if _is_complete(libs, digest):
        return libs

    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError("Maven (`mvn`) is not on PATH; it is needed once to download the Kafka jars")
    libs.parent.mkdir(parents=True, exist_ok=True)
    print(f"psflow: fetching Kafka {version} jars with Maven into {libs} (one time, ~45 MB)", file=sys.stderr)
    # Download next to the target and rename: an interrupted run leaves only a temp folder behind,
    # and the next run starts over instead of trusting half a classpath.
    staging = Path(tempfile.mkdtemp(prefix="libs.partial-", dir=libs.parent))
    try:
        result = subprocess.run(  # nosec B603
            [
                mvn,
                "-B",
                "-q",
                "-Dstyle.color=never",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not any(staging.glob("kafka_*.jar")):
            output = (result.stdout + result.stderr).strip()[-4000:]
            raise KafkaSetupError(
                f"mvn could not resolve Kafka {version} (exit {result.returncode}):\n{output}"
            )
        (staging / _MARKER).write_text(digest + "\n")
        staging.chmod(0o755)  # mkdtemp makes it owner-only; the jars are not secret
        _install(staging, libs, digest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return libs


def _install(staging: Path, libs: Path, digest: str) -> None:
    if libs.exists():
        if _is_complete(libs, digest):
            return  # another process finished the same download first
        # Move a stale or partial folder aside rather than delete it in place, so `libs` is never half-empty.
        stale = Path(tempfile.mkdtemp(prefix="libs.stale-", dir=libs.parent))
        libs.rename(stale / "libs")
        shutil.rmtree(stale, ignore_errors=True)
    try:
        staging.rename(libs)
    except OSError:
        if not _is_complete(libs, digest):
            raise


def find_java() -> str:
    """Return the java executable to run Kafka with, checking it is Java 17 or newer."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None or not Path(java).is_file():
        where = f"JAVA_HOME={java_home}" if java_home else "PATH"
        raise KafkaSetupError(f"no java found via {where}; Kafka needs Java {MIN_JAVA_MAJOR}+")
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)  # nosec B603
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KafkaSetupError(f"could not run {java} -version: {exc}") from exc
    # `java -version` writes to stderr: `openjdk version "17.0.15" ...` or `java version "1.8.0_392"`.
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        raise KafkaSetupError(f"cannot tell the Java version of {java}:\n{result.stderr.strip()}")
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    if major < MIN_JAVA_MAJOR:
        raise KafkaSetupError(
            f"{java} is Java {major}; Kafka needs Java {MIN_JAVA_MAJOR}+ (set JAVA_HOME to a newer JDK)"
        )
    return java
