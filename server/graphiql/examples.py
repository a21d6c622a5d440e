"""The example operations GraphiQL opens with: one `.graphql` file each in examples/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).parent / "examples"


@dataclass(frozen=True)
class Example:
    name: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    # A DateTime variable the page sets to the first midnight of the browser's month.
    month_start_variable: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "query": self.query,
            "variables": self.variables,
            "monthStartVariable": self.month_start_variable,
        }


# The common questions, in the order of GraphiQL's tabs.
EXAMPLE_SETTINGS: dict[str, dict[str, Any]] = {
    "CustomerList": {"variables": {"first": 50, "sort": [{"field": "NAME"}]}},
    "CustomerRelationship": {"variables": {"search": "Harbor"}},
    "InteractionsThisMonth": {"variables": {"first": 50}, "month_start_variable": "from"},
    "AgingReport": {},
}


def load_examples() -> list[Example]:
    return [
        Example(name=name, query=(EXAMPLES_DIR / f"{name}.graphql").read_text(), **settings)
        for name, settings in EXAMPLE_SETTINGS.items()
    ]
