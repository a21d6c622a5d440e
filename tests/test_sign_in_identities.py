"""Issue 14 #8: no company learns another company's staff e-mails.

On main, company B's admin calling staffCreate with an e-mail of company A got TAKEN (a
global unique e-mail). Now an e-mail is unique within its company; sign-in names the
company (its slug) only when the same e-mail and password sign in to several.
"""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.test_foundation import STAFF_CREATE

LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  token staff { id email } userErrors { field code message } } }"""
STAFF_UPDATE = """mutation($id: ID!, $input: StaffUpdateInput!) { staffUpdate(id: $id, input: $input) {
  staff { email } userErrors { field code } } }"""


async def test_another_companys_email_is_not_an_oracle(api, tenant, other_tenant):
    taken_elsewhere = tenant.rep.email
    body = await api.ok(
        STAFF_CREATE,
        {
            "input": {
                "name": "Same Mail",
                "email": taken_elsewhere,
                "role": "REP",
                "password": PASSWORD,
            }
        },
        token=other_tenant.admin.token,
    )
    # Exactly what an unused e-mail answers: created, in company B.
    assert body["staffCreate"]["userErrors"] == []
    assert body["staffCreate"]["staff"]["email"] == taken_elsewhere
    # Editing to another company's e-mail too.
    body = await api.ok(
        STAFF_UPDATE,
        {"id": other_tenant.rep2.global_id, "input": {"email": tenant.manager.email}},
        token=other_tenant.admin.token,
    )
    assert body["staffUpdate"] == {"staff": {"email": tenant.manager.email}, "userErrors": []}
    # Within one company an e-mail is still unique.
    body = await api.ok(
        STAFF_CREATE,
        {"input": {"name": "Dup", "email": other_tenant.rep.email, "role": "REP"}},
        token=other_tenant.admin.token,
    )
    assert [(e["field"], e["code"]) for e in body["staffCreate"]["userErrors"]] == [
        (["input", "email"], "TAKEN")
    ]


async def test_sign_in_names_the_company_only_when_it_must(api, tenant, other_tenant):
    shared = tenant.rep.email
    twin = await api.mutate(
        STAFF_CREATE,
        {"input": {"name": "Twin", "email": shared, "role": "REP", "password": PASSWORD}},
        token=other_tenant.admin.token,
    )
    # The same e-mail and password in two companies: which one is needed.
    body = await api.ok(LOGIN, {"input": {"email": shared, "password": PASSWORD}})
    assert body["login"]["token"] is None
    assert [(e["field"], e["code"]) for e in body["login"]["userErrors"]] == [
        (["input", "company"], "REQUIRED")
    ]
    for which, member in ((tenant, tenant.rep.global_id), (other_tenant, twin["staff"]["id"])):
        body = await api.ok(
            LOGIN, {"input": {"email": shared, "password": PASSWORD, "company": which.slug}}
        )
        assert body["login"]["userErrors"] == []
        me = await api.ok("{ me { id } }", token=body["login"]["token"])
        assert me["me"]["id"] == member
    # A wrong password, an unknown e-mail or another company's slug: the same answer.
    wrong = [
        {"email": shared, "password": "not-the-password"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": tenant.admin.email, "password": PASSWORD, "company": other_tenant.slug},
    ]
    for input in wrong:
        body = await api.ok(LOGIN, {"input": input})
        assert [(e["code"], e["message"]) for e in body["login"]["userErrors"]] == [
            ("INVALID_CREDENTIALS", "Wrong email or password.")
        ]
    # An e-mail in one company signs in without naming it, as before.
    body = await api.ok(LOGIN, {"input": {"email": tenant.admin.email, "password": PASSWORD}})
    assert body["login"]["userErrors"] == []
