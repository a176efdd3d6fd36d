"""A throwaway certificate authority for the local secured broker, made with the JDK's keytool.

The CA signs a broker certificate (for 127.0.0.1 and localhost, in a PKCS12 keystore the broker reads) and a
client certificate for psflow's clients (PEM, as Python's ssl module reads it), so the local broker can ask
for mutual TLS. Nothing here is meant to outlive a test session or a developer's machine.
"""

from __future__ import annotations

import secrets
import shutil

# bandit: the dev kit runs java, keytool, mvn and psflow itself from argument lists, never through a shell
import subprocess  # nosec B404
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from app.devkit.kafka_jars import KafkaSetupError, find_java
from app.runtime.settings import REPO_ROOT

PEM_KEY_TOOL = REPO_ROOT / "kafka" / "PemKey.java"
BROKER_DN = "CN=psflow-broker"
_DAYS = "30"


@dataclass(frozen=True)
class Pki:
    """The files of one throwaway CA, its broker keystore and its client certificate."""

    folder: Path
    store_password: str

    @property
    def ca_pem(self) -> Path:
        """Return the CA certificate clients trust (PEM)."""
        return self.folder / "ca.pem"

    @property
    def broker_keystore(self) -> Path:
        """Return the broker's PKCS12 keystore: its key, its signed certificate and the CA as trusted."""
        return self.folder / "broker.p12"

    @property
    def client_cert(self) -> Path:
        """Return the client certificate signed by the CA (PEM)."""
        return self.folder / "client.pem"

    @property
    def client_key(self) -> Path:
        """Return the client certificate's private key (PEM, PKCS#8)."""
        return self.folder / "client.key"

    def is_complete(self) -> bool:
        """Tell whether every file is there (a cut-short run leaves some out)."""
        files = (self.ca_pem, self.broker_keystore, self.client_cert, self.client_key, self._password_file)
        return all(f.is_file() for f in files)

    @property
    def _password_file(self) -> Path:
        return self.folder / "store.password"


def keytool(java: str) -> list[str]:
    """Return the keytool next to `java`, with JVM options that halve its start-up time."""
    tool = Path(java).with_name("keytool")
    found = str(tool) if tool.is_file() else shutil.which("keytool")
    if found is None:
        raise KafkaSetupError("no keytool found next to java or on PATH (it comes with the JDK)")
    # A dozen short runs: the JIT's later tiers and a parallel GC only cost start-up time here.
    return [found, "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"]


LOCAL_SAN = "SAN=ip:127.0.0.1,dns:localhost"


def ensure_pki(folder: Path, san: str = LOCAL_SAN) -> Pki:
    """Return the CA, broker and client certificates in `folder`, making them on first use.

    `san`: the names in the broker's certificate (keytool's -ext SAN=...), those its clients dial it by.
    """
    password_file = folder / "store.password"
    if password_file.is_file():
        pki = Pki(folder, password_file.read_text().strip())
        if pki.is_complete():
            return pki
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    pki = Pki(folder, secrets.token_hex(16))
    java = find_java()
    tool = keytool(java)
    make_ca(tool, folder / "ca.p12", pki.ca_pem, pki.store_password, "CN=psflow local CA")
    client_store = folder / "client.p12"
    fast = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]

    def client() -> None:
        _signed(tool, pki, client_store, "client", "CN=psflow-client", None, pem=pki.client_cert)
        _run(
            [
                java,
                *fast,
                str(PEM_KEY_TOOL),
                str(client_store),
                pki.store_password,
                "client",
                str(pki.client_key),
            ]
        )

    # The two chains depend only on the CA: make them side by side (each step is a JVM start).
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [
            pool.submit(_signed, tool, pki, pki.broker_keystore, "broker", BROKER_DN, san),
            pool.submit(client),
        ]
        for future in done:
            future.result()
    pki.client_key.chmod(0o600)
    password_file.write_text(pki.store_password + "\n")  # written last: marks the set complete
    password_file.chmod(0o600)
    return pki


def make_ca(tool: list[str], keystore: Path, pem: Path, password: str, dname: str) -> None:
    """Make a self-signed CA in a PKCS12 keystore and export its certificate as PEM."""
    store = ["-keystore", str(keystore), "-storetype", "PKCS12", "-storepass", password]
    _run([*tool, "-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", dname,
          "-ext", "bc:c", "-validity", _DAYS, *store])  # fmt: skip
    _run([*tool, "-exportcert", "-rfc", "-alias", "ca", "-file", str(pem), *store])


def _signed(
    tool: list[str],
    pki: Pki,
    keystore: Path,
    alias: str,
    dname: str,
    san: str | None,
    pem: Path | None = None,
) -> None:
    """Make a key pair in `keystore` and have the CA sign it; a server's chain goes back into its keystore."""
    password = pki.store_password
    store = ["-keystore", str(keystore), "-storetype", "PKCS12", "-storepass", password]
    ca_store = ["-keystore", str(pki.folder / "ca.p12"), "-storetype", "PKCS12", "-storepass", password]
    request, signed = pki.folder / f"{alias}.csr", pem or pki.folder / f"{alias}.pem"
    _run([*tool, "-genkeypair", "-alias", alias, "-keyalg", "RSA", "-keysize", "2048", "-dname", dname,
          "-validity", _DAYS, *store])  # fmt: skip
    _run([*tool, "-certreq", "-alias", alias, "-file", str(request), *store])
    extensions = ["-ext", "EKU=serverAuth,clientAuth"] + (["-ext", san] if san else [])
    _run([*tool, "-gencert", "-alias", "ca", "-infile", str(request), "-outfile", str(signed), "-rfc",
          "-validity", _DAYS, *extensions, *ca_store])  # fmt: skip
    if pem is None:  # the broker reads its chain from the keystore; a Python client reads the PEM files
        _run([*tool, "-importcert", "-alias", "ca", "-file", str(pki.ca_pem), "-noprompt", *store])
        _run([*tool, "-importcert", "-alias", alias, "-file", str(signed), "-noprompt", *store])


def _run(command: list[str]) -> None:
    # bandit: an argument list built here from the JDK's path and this module's own files (no shell).
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)  # nosec B603
    if result.returncode != 0:
        # The command line holds the store password: name the step, not the arguments.
        step = next((part for part in command if part.startswith("-") and not part.startswith("-J")), "")
        output = (result.stdout + result.stderr).strip()[-2000:]
        raise KafkaSetupError(f"{Path(command[0]).name} {step} failed:\n{output}")
