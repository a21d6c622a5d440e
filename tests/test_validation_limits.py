"""Validation costs what the document costs; refusals carry the codes API.md names;
without a token, no introspection and no "Did you mean" suggestions."""

from __future__ import annotations

import asyncio

import pytest
from graphql import parse, specified_rules, validate

from schema import schema as default_schema
from schema import validation


def fan_out(levels: int, body: str = "__typename") -> str:
    """30 fragments each spreading the next three times: 3^levels spreads, ~1.5 KB."""
    fragments = "\n".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"{{ __typename ...F0 }}\n{fragments}\nfragment F{levels} on Query {{ {body} }}"


def nested_fan_out(levels: int) -> str:
    """The same fan-out inside object fields, with aliases the merging rule must compare."""
    fragments = "\n".join(
        f"fragment S{i} on Staff {{ a: name ...S{i + 1} ...S{i + 1} ...S{i + 1} }}"
        for i in range(levels)
    )
    return f"{{ me {{ ...S0 }} }}\n{fragments}\nfragment S{levels} on Staff {{ a: name id }}"


class Calls:
    def __init__(self, monkeypatch, cls: type) -> None:
        self.count = 0
        original = cls.selections

        def counted(walk, selection_set):
            self.count += 1
            return original(walk, selection_set)

        monkeypatch.setattr(cls, "selections", counted)


async def test_fan_out_of_3_to_the_30_is_answered_in_milliseconds(api, tenant, monkeypatch):
    depth_calls = Calls(monkeypatch, validation.DepthWalk)
    alias_calls = Calls(monkeypatch, validation.AliasWalk)
    document = fan_out(30)
    assert len(document) < 1600
    # Generous: the document used to pin a worker for minutes.
    body = await asyncio.wait_for(api.gql(document, token=tenant.rep.token), timeout=10)
    assert body["data"] == {"__typename": "Query"}
    # Each of the 31 fragments and the operation walked once per limit, not 3^30 times.
    assert depth_calls.count == 32
    assert alias_calls.count == 32
    # Without a token: refused after the same cheap validation.
    anonymous = await asyncio.wait_for(api.gql(document), timeout=10)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("document", [fan_out(30), nested_fan_out(30)], ids=["root", "nested"])
def test_every_specified_rule_is_linear_on_fan_outs(document):
    """graphql-core's own rules (OverlappingFieldsCanBeMerged is the usual suspect)."""
    parsed = parse(document)
    for rule in specified_rules:
        assert validate(default_schema._schema, parsed, [rule]) == [], rule.__name__


async def test_nested_fan_out_with_aliases_is_refused_by_the_alias_limit(api, tenant):
    body = await asyncio.wait_for(api.gql(nested_fan_out(30), token=tenant.rep.token), 10)
    (error,) = body["errors"]
    # 3^30 spreads of one alias each, counted without walking them.
    assert error["message"] == f"{sum(3**i for i in range(31))} aliases found. Allowed: 30"
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_depth_alias_token_and_parse_refusals_are_coded(api, tenant):
    hop = "assignedCustomers { nodes { salesRep { "
    deep = "{ me { " + hop * 5 + "id" + " } } }" * 5 + " } }"
    body = await api.gql(deep, token=tenant.rep.token)
    assert body["errors"] == [
        {
            "message": "'anonymous' exceeds maximum operation depth of 12",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    many = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(31)) + " }"
    body = await api.gql(many, token=tenant.rep.token)
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    tokens = "{ " + "__typename " * 5001 + "}"
    body = await api.gql(tokens, token=tenant.rep.token)
    assert body["errors"][0]["message"].startswith("Syntax Error: Document contains more than")
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    body = await api.gql("{ me { id ", token=tenant.rep.token)
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    body = await api.gql("{ nope }", token=tenant.rep.token)
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_the_fan_out_under_the_depth_limit_is_counted_through_fragments(api, tenant):
    chain = "\n".join(
        f"fragment C{i} on Staff {{ assignedCustomers {{ nodes {{ salesRep {{ ...C{i + 1} }} }} }} }}"
        for i in range(4)
    )
    document = f"{{ me {{ ...C0 }} }}\n{chain}\nfragment C4 on Staff {{ id }}"
    body = await api.gql(document, token=tenant.rep.token)
    assert body["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 12"


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_needs_a_token(api, tenant):
    anonymous = await api.gql(INTROSPECTION)
    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    by_type = await api.gql('{ __type(name: "Customer") { name } }')
    assert by_type["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    signed_in = await api.ok(INTROSPECTION, token=tenant.rep.token)
    assert signed_in == {"__schema": {"queryType": {"name": "Query"}}}


async def test_suggestions_only_with_a_token(api, tenant):
    anonymous = await api.gql("{ mee { id } }")
    assert anonymous["errors"][0]["message"] == "Cannot query field 'mee' on type 'Query'."
    signed_in = await api.gql("{ mee { id } }", token=tenant.rep.token)
    assert signed_in["errors"][0]["message"] == (
        "Cannot query field 'mee' on type 'Query'. Did you mean 'me'?"
    )
    # Coercing variables suggests too.
    login = "mutation($input: LoginInput!) { login(input: $input) { token } }"
    wrong = {"input": {"emial": "a@example.com", "password": "x"}}
    anonymous = await api.gql(login, wrong)
    messages = " ".join(error["message"] for error in anonymous["errors"])
    assert "emial" in messages
    assert "Did you mean" not in messages
    signed_in = await api.gql(login, wrong, token=tenant.rep.token)
    assert "Did you mean" in " ".join(error["message"] for error in signed_in["errors"])
