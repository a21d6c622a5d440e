"""The GraphQL engines run at exactly the versions pyproject.toml pins.

schema/planner.py and schema/field_plans.py use internals of graphql-core and
strawberry-graphql; any other version must be proved with the suite (tests/test_planner.py,
tests/test_planner_differential.py) before it is pinned.
"""

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

ENGINES = ("strawberry-graphql", "graphql-core")
ROOT = Path(__file__).resolve().parent.parent


def pinned() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins: dict[str, str] = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name in ENGINES:
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{requirement.name} must be pinned exactly"
            pins[requirement.name] = spec.version
    return pins


def locked(lock: str) -> dict[str, str]:
    versions: dict[str, str] = {}
    for line in (ROOT / lock).read_text().splitlines():
        name, _, rest = line.partition("==")
        if name in ENGINES:
            versions[name] = rest.split()[0]
    return versions


def test_engines_are_pinned_exactly_in_pyproject():
    assert sorted(pinned()) == sorted(ENGINES)


def test_installed_engines_are_the_supported_versions():
    assert {name: version(name) for name in ENGINES} == pinned()


def test_lock_files_hold_the_supported_versions():
    assert locked("requirements.lock") == pinned()
    assert locked("requirements-dev.lock") == pinned()
