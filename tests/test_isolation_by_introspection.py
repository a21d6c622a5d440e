"""Tenant isolation, proved from the schema itself (issue 14).

Every root query and mutation taking an id (as an argument or inside its input) is
listed by introspecting the schema, so a field added tomorrow is covered without anyone
remembering to. Company B's admin calls each with the real ids of company A's rows, and
again with ids of rows that exist nowhere; B must

- read nothing of A (no name, e-mail or id of A's in any answer),
- change nothing of A (A's rows and their versions are as they were), and
- learn nothing: the answer for A's id is the answer for a missing id, word for word
  once ids are blanked out.
"""

from __future__ import annotations

import base64
import re
from datetime import date
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from sqlalchemy import func, select

from db.models import TenantScoped
from db.session import Scope
from resolvers.ids import MAX_PK, encode_id
from schema import build_schema
from tests.api_rows import seed_rows

SCHEMA = build_schema()._schema
SKIPPED = {"login", "logout", "attachmentUpload"}  # no id of A's / needs a file upload
# Argument or input field name -> the type of row its id names.
ID_NAMES = {
    "customerId": "Customer",
    "customerIds": "Customer",
    "survivorId": "Customer",
    "mergedIds": "Customer",
    "visibleTo": "Customer",
    "orderId": "Order",
    "orderIds": "Order",
    "locationId": "Location",
    "locationIds": "Location",
    "productId": "Product",
    "contactId": "Contact",
    "staffId": "Staff",
    "staffIds": "Staff",
    "salesRepId": "Staff",
    "salesRepIds": "Staff",
    "assigneeId": "Staff",
    "assigneeIds": "Staff",
    "paymentTermsId": "PaymentTerms",
    "paymentTermsIds": "PaymentTerms",
}
SECRET = "Zanzibar Quill"  # A's distinctive text: appears in no answer to B


def _is_id(type_: Any) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLScalarType) and named.name == "ID"


def _row_type_for(field_name: str, argument: str, known: set[str]) -> str | None:
    if argument in ID_NAMES:
        return ID_NAMES[argument]
    # `id`/`ids` of a noun-first mutation or query: customerUpdate(id) -> Customer.
    for name in sorted(known, key=len, reverse=True):
        if field_name.lower().startswith(name.lower()):
            return name
    return None


def _value(type_: Any, field_name: str, name: str, ids: dict[str, str], depth: int = 0) -> Any:
    """A valid-looking value for a required argument or input field; ids from `ids`."""
    nullable = type_
    if isinstance(type_, GraphQLNonNull):
        nullable = type_.of_type
    if isinstance(nullable, GraphQLList):
        return [_value(nullable.of_type, field_name, name, ids, depth)]
    if _is_id(nullable):
        kind = _row_type_for(field_name, name, set(ids))
        return ids.get(kind or "", ids["Customer"])
    if isinstance(nullable, GraphQLEnumType):
        return next(iter(nullable.values))
    if isinstance(nullable, GraphQLInputObjectType):
        out = {}
        for key, field in nullable.fields.items():
            wanted = isinstance(field.type, GraphQLNonNull) or (
                _mentions_id(field.type) and depth < 3
            )
            if wanted and not (get_named_type(field.type).name == "Upload"):
                out[key] = _value(field.type, field_name, key, ids, depth + 1)
        return out
    scalar = {
        "String": "x",
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "Decimal": "1.00",
        "DateTime": "2026-01-01T00:00:00+00:00",
        "Date": str(date(2026, 1, 1)),
        "JSON": {},
    }
    return scalar.get(nullable.name, "x")


def _mentions_id(type_: Any, seen: frozenset = frozenset()) -> bool:
    named = get_named_type(type_)
    if _is_id(named):
        return True
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        return any(_mentions_id(f.type, seen | {named.name}) for f in named.fields.values())
    return False


def _selection(type_: Any, depth: int = 0) -> str:
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return (
            " { __typename }" if not isinstance(named, GraphQLScalarType | GraphQLEnumType) else ""
        )
    parts = ["__typename"]
    for key, field in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            parts.append(key)
        elif depth < 2 and isinstance(inner, GraphQLObjectType):
            parts.append(key + _selection(field.type, depth + 1))
    return " { " + " ".join(parts) + " }"


def id_taking_fields() -> list[tuple[str, str, Any]]:
    """(operation kind, field name, field) for every root field an id can reach."""
    found = []
    for kind, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        for name, field in root.fields.items():
            if name in SKIPPED:
                continue
            if any(_mentions_id(arg.type) for arg in field.args.values()):
                found.append((kind, name, field))
    return found


def document(kind: str, name: str, field: Any) -> tuple[str, list[str]]:
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in field.args)
    head = f"{kind} Probe({declared})" if declared else kind
    return f"{head} {{ {name}({passed}){_selection(field.type)} }}", list(field.args)


def variables(field_name: str, field: Any, ids: dict[str, str]) -> dict[str, Any]:
    out = {}
    for arg_name, arg in field.args.items():
        if isinstance(arg.type, GraphQLNonNull) or _mentions_id(arg.type):
            out[arg_name] = _value(arg.type, field_name, arg_name, ids)
    return out


ID = re.compile(r"[A-Za-z0-9+/]{6,}={0,2}")


def _blank(text: str) -> str:
    def swap(match: re.Match) -> str:
        try:
            decoded = base64.b64decode(match.group(0), validate=True).decode()
        except ValueError:
            return match.group(0)
        return "<id>" if ":" in decoded else match.group(0)

    return re.sub(r"\b\d+\b", "<n>", ID.sub(swap, text))


def shape(value: Any, key: str = "") -> Any:
    """An answer with its data values blanked: what B can tell from it."""
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in value.items() if k not in ("extensions",)}
    if isinstance(value, list):
        return [shape(v, key) for v in value]
    if isinstance(value, str) and key in ("message", "code", "field", "__typename"):
        return _blank(value)
    return None if value is None else "<value>"


def _without_messages(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_messages(v) for k, v in value.items() if k != "message"}
    if isinstance(value, list):
        return [_without_messages(v) for v in value]
    return value


async def a_snapshot(database, tenant) -> dict[str, Any]:
    """Every row of company A, with its version where it has one."""
    session = database.session(Scope(tenant.company_id))
    try:
        rows = {}
        for model in TenantScoped.__subclasses__():
            if not hasattr(model, "__table__"):
                continue
            version = getattr(model, "version", None)
            columns = [func.count()] + ([func.sum(version)] if version is not None else [])
            rows[model.__name__] = tuple(
                (await session.execute(select(*columns).select_from(model))).one()
            )
        return rows
    finally:
        await session.close()


async def test_a_second_company_reads_changes_and_learns_nothing(
    api, tenant, other_tenant, database
):
    fields = id_taking_fields()
    # The schema's own list: the fields this test must keep covering.
    names = {name for _, name, _ in fields}
    assert {
        "customer",
        "node",
        "nodes",
        "customerUpdate",
        "orderCreate",
        "transactionRecord",
        "staffUpdate",
        "orders",
    } <= names
    created = await seed_rows(lambda q, v: api.mutate(q, v, token=tenant.admin.token))
    # Rename A's customer so its text is unmistakable in any leak.
    await api.mutate(
        """mutation($id: ID!, $name: String!) { customerUpdate(id: $id, input: {name: $name}) {
        customer { id } userErrors { code } } }""",
        {"id": created[0], "name": SECRET},
        token=tenant.admin.token,
    )
    kinds = ["Customer", "Location", "Contact", "Interaction", "Product", "Order", "Transaction"]
    a_ids = dict(zip(kinds, created, strict=True)) | {"Staff": tenant.rep.global_id}
    a_ids["PaymentTerms"] = (await api.ok("{ paymentTerms { id } }", token=tenant.admin.token))[
        "paymentTerms"
    ][0]["id"]
    bulk = await api.mutate(
        """mutation($id: ID!) { customersBulkUpdate(input: {ids: [$id],
        set: {billingStatus: PAST_DUE}}) { bulkOperationId userErrors { code } } }""",
        {"id": created[0]},
        token=tenant.admin.token,
    )
    a_ids["BulkOperation"] = bulk["bulkOperationId"]
    missing = {kind: encode_id(kind, MAX_PK - 1) for kind in a_ids}
    before = await a_snapshot(database, tenant)
    token = other_tenant.admin.token
    probed = 0
    for kind, name, field in fields:
        query, _ = document(kind, name, field)
        against_a = await api.gql(query, variables(name, field, a_ids), token=token)
        against_none = await api.gql(query, variables(name, field, missing), token=token)
        text = str(against_a)
        assert SECRET not in text and tenant.admin.email not in text, (name, against_a)
        # Messages may echo the id B sent; the data may hold none of A's.
        data = str(_without_messages(against_a.get("data")))
        assert not any(gid in data for gid in a_ids.values()), str((name, against_a))[:3000]
        assert shape(against_a) == shape(against_none), (name, against_a, against_none)
        probed += 1
    assert probed == len(fields)
    assert await a_snapshot(database, tenant) == before
    # A still sees its own customer, unchanged by B.
    mine = await api.ok(
        "query($id: ID!) { customer(id: $id) { name version } }",
        {"id": created[0]},
        token=tenant.admin.token,
    )
    assert mine == {"customer": {"name": SECRET, "version": 3}}
