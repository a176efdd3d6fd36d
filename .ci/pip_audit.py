"""Audit the installed dependencies for known vulnerabilities (pip-audit); CI runs it through `make audit`.

Exit 1 when a dependency has a known vulnerability. A vulnerability service that cannot be reached, or that
answers for none of the dependencies (a registry mirror without PyPI's JSON API), does not fail the build:
it says loudly that the dependencies were NOT audited, and exits 0.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - runs pip-audit from this venv with fixed arguments
import sys
import tempfile
from pathlib import Path
from typing import Any

UNAUDITED = "pip-audit: dependencies NOT audited"


def verdict(report: dict[str, Any]) -> tuple[int, list[str]]:
    """Return the exit status and the lines to print for a pip-audit JSON report."""
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    lines = [
        f"pip-audit: {d['name']} {d.get('version', '')}: {v['id']} (fixed in {_fixes(v)})"
        for d in vulnerable
        for v in d["vulns"]
    ]
    if vulnerable:
        return 1, [*lines, f"pip-audit: {len(vulnerable)} vulnerable dependenc(ies) of {len(dependencies)}"]
    if dependencies and len(skipped) == len(dependencies):
        first = skipped[0]["skip_reason"]
        return 0, [f"{UNAUDITED}: the vulnerability service answered for none of them (e.g. {first})"]
    audited = len(dependencies) - len(skipped)
    note = f"; {len(skipped)} not audited ({', '.join(d['name'] for d in skipped)})" if skipped else ""
    return 0, [f"pip-audit: {audited} dependencies audited, no known vulnerabilities{note}"]


def _fixes(vulnerability: dict[str, Any]) -> str:
    return ", ".join(vulnerability.get("fix_versions", [])) or "no release"


def main() -> int:
    """Run pip-audit on this environment and print its verdict."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off"]
        try:
            done = subprocess.run(  # nosec B603
                [*command, "--format", "json", "--output", str(out)],
                capture_output=True,
                text=True,
                timeout=600,
            )
        except subprocess.TimeoutExpired:
            print(f"{UNAUDITED}: the vulnerability service did not answer in 600 s")
            return 0
        if not out.is_file():
            cause = (done.stderr.strip().splitlines() or ["no output"])[-1][:400]
            print(f"{UNAUDITED}: the vulnerability service is unreachable ({cause})")
            return 0
        status, lines = verdict(json.loads(out.read_text()))
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
