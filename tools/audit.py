"""pip-audit over the dev lock file, which says out loud when it could audit nothing.

pip-audit on its own reports "No known vulnerabilities found" even when every package was
skipped because no vulnerability service answered (PyPI's JSON API, OSV). Here:
- a known vulnerability fails, always;
- a package that could not be audited while others could fails (a partial audit);
- no service reachable at all prints a banner and fails only when ROLODEX_REQUIRE_AUDIT=1
  (set it in a CI that has the internet; the project's own CI machine reaches only package
  indexes, see docs/ARCHITECTURE.md "Dependencies").
"""

import json
import os
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements-dev.lock"
SERVICES = ("pypi", "osv")


def audit(service: str) -> tuple[list[dict], list[dict]] | None:
    """(vulnerable, skipped) dependencies, or None when the service did not answer."""
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--disable-pip", "-r", str(LOCK), "-s", service]
    command += ["-f", "json", "--progress-spinner", "off"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None
    dependencies = report["dependencies"]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if dependencies and len(skipped) == len(dependencies):
        return None
    return [d for d in dependencies if d.get("vulns")], skipped


def main() -> int:
    for service in SERVICES:
        result = audit(service)
        if result is None:
            continue
        vulnerable, skipped = result
        for dependency in vulnerable:
            ids = ", ".join(v["id"] for v in dependency["vulns"])
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {ids}")
        for dependency in skipped:
            print(f"NOT AUDITED {dependency['name']}: {dependency['skip_reason']}")
        if vulnerable or skipped:
            return 1
        print(f"pip-audit ({service}): no known vulnerabilities in {LOCK.name}")
        return 0
    print(
        "=" * 72 + "\nWARNING: pip-audit reached no vulnerability service "
        f"({', '.join(SERVICES)}):\nNOTHING WAS AUDITED. Run `make audit` where the "
        "internet answers.\n" + "=" * 72,
        file=sys.stderr,
    )
    return 1 if os.environ.get("ROLODEX_REQUIRE_AUDIT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
