"""Chosen columns: the column catalogues and view settings saved per staff member."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import ViewSetting

SETTINGS = """query($view: ListView!) { viewSettings(view: $view) {
  view columns sort { field direction } } }"""
UPDATE = """mutation($input: ViewSettingsUpdateInput!) { viewSettingsUpdate(input: $input) {
  viewSettings { view columns sort { field direction } } userErrors { field message code } } }"""


async def test_column_catalogues(api, tenant):
    data = await api.ok(
        """{ customerColumns { key label sortable defaultVisible }
             locationColumns { key label sortable defaultVisible } }""",
        token=tenant.rep.token,
    )
    customer = {c["key"]: c for c in data["customerColumns"]}
    assert len(data["customerColumns"]) == 33
    assert customer["name"] == {
        "key": "name",
        "label": "Name",
        "sortable": True,
        "defaultVisible": True,
    }
    assert [c["key"] for c in data["customerColumns"] if c["sortable"]] == [
        "name",
        "orderCount",
        "totalSales",
        "averageOrderTotal",
        "lastOrderAt",
        "balance",
        "createdAt",
        "lastInteractionAt",
    ]
    assert customer["website"] == {
        "key": "website",
        "label": "Website",
        "sortable": False,
        "defaultVisible": False,
    }
    assert [c["key"] for c in data["locationColumns"] if c["defaultVisible"]] == [
        "customer",
        "name",
        "phone",
        "city",
        "region",
        "effectiveSalesRep",
        "orderCount",
        "totalSales",
    ]


async def test_defaults_then_saved_per_staff_member(api, tenant, database):
    defaults = (await api.ok(SETTINGS, {"view": "CUSTOMERS"}, token=tenant.rep.token))[
        "viewSettings"
    ]
    assert defaults == {
        "view": "CUSTOMERS",
        "columns": [
            "name",
            "status",
            "billingStatus",
            "salesRep",
            "primaryContact",
            "email",
            "phone",
            "orderCount",
            "totalSales",
            "lastOrderAt",
            "engagement",
            "balance",
        ],
        "sort": [{"field": "NAME", "direction": "ASC"}],
    }
    chosen = {
        "view": "CUSTOMERS",
        "columns": ["totalSales", "name", "salesRep"],
        "sort": [{"field": "totalSales", "direction": "DESC"}, {"field": "name"}],
    }
    saved = await api.mutate(UPDATE, {"input": chosen}, token=tenant.rep.token)
    expected = {
        "view": "CUSTOMERS",
        "columns": ["totalSales", "name", "salesRep"],
        # Read back in the sort enum's names, as customers(sort:) takes them.
        "sort": [
            {"field": "TOTAL_SALES", "direction": "DESC"},
            {"field": "NAME", "direction": "ASC"},
        ],
    }
    assert saved["viewSettings"] == expected
    read = await api.ok(SETTINGS, {"view": "CUSTOMERS"}, token=tenant.rep.token)
    assert read["viewSettings"] == expected
    # Another member, and another view, still have the defaults.
    other = await api.ok(SETTINGS, {"view": "CUSTOMERS"}, token=tenant.rep2.token)
    assert other["viewSettings"] == defaults
    locations = await api.ok(SETTINGS, {"view": "LOCATIONS"}, token=tenant.rep.token)
    assert locations["viewSettings"]["sort"] == []
    # Saving again replaces the row rather than adding one.
    await api.mutate(
        UPDATE,
        {"input": {"view": "CUSTOMERS", "columns": ["name"]}},
        token=tenant.rep.token,
    )
    read = await api.ok(SETTINGS, {"view": "CUSTOMERS"}, token=tenant.rep.token)
    assert read["viewSettings"] == {
        "view": "CUSTOMERS",
        "columns": ["name"],
        "sort": [{"field": "NAME", "direction": "ASC"}],
    }
    async with database.transaction(None) as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(ViewSetting)
            .where(ViewSetting.company_id == tenant.company_id)
        )
    assert rows == 1


async def test_unknown_columns_are_user_errors_and_nothing_is_saved(api, tenant, database):
    body = await api.ok(
        UPDATE,
        {
            "input": {
                "view": "LOCATIONS",
                "columns": ["name", "balance", "nope"],
                "sort": [{"field": "ghost"}, {"field": "city"}],
            }
        },
        token=tenant.rep.token,
    )
    assert body["viewSettingsUpdate"] == {
        "viewSettings": None,
        "userErrors": [
            {
                "field": ["input", "columns", "1"],
                "message": "Unknown column 'balance' for the LOCATIONS list.",
                "code": "UNKNOWN_COLUMN",
            },
            {
                "field": ["input", "columns", "2"],
                "message": "Unknown column 'nope' for the LOCATIONS list.",
                "code": "UNKNOWN_COLUMN",
            },
            {
                "field": ["input", "sort", "0", "field"],
                "message": "Unknown column 'ghost' for the LOCATIONS list.",
                "code": "UNKNOWN_COLUMN",
            },
            {
                "field": ["input", "sort", "1", "field"],
                "message": "The LOCATIONS list cannot be sorted by City.",
                "code": "INVALID",
            },
        ],
    }
    empty = await api.ok(
        UPDATE, {"input": {"view": "CUSTOMERS", "columns": []}}, token=tenant.rep.token
    )
    assert empty["viewSettingsUpdate"]["userErrors"][0]["code"] == "REQUIRED"
    async with database.transaction(None) as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(ViewSetting)
            .where(ViewSetting.company_id == tenant.company_id)
        )
    assert rows == 0
