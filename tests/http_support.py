"""Helpers for tests that read whole GraphQL-over-HTTP answers."""

from __future__ import annotations


def answer_body(response) -> dict:
    """The JSON answer without its `extensions.cost` report (asserted present and shaped)."""
    body = response.json()
    extensions = body.pop("extensions", {})
    assert set(extensions) == {"cost"}, extensions
    assert set(extensions["cost"]) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
    return body
