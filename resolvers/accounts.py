"""Companies, staff and sign-in. Company creation is CLI-only (no GraphQL mutation)."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET

from db.enums import Role
from db.models import DEFAULT_PAYMENT_TERMS, AuthToken, Company, PaymentTerms, Staff, utcnow
from resolvers.audit import apply_changes, record
from resolvers.credentials import (
    hash_password,
    hash_password_off_loop,
    issue_token,
    verify_password_off_loop,
)
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import parse_id
from resolvers.pagination import PageArgs, SortKey, paginate_for
from resolvers.permissions import Permission
from resolvers.validation import check_version, clean_email, clean_text

if TYPE_CHECKING:
    from resolvers.context import Context

MIN_PASSWORD_LENGTH = 10


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "company"


async def create_company(session: AsyncSession, name: str, timezone: str = "UTC") -> Company:
    """A company with its default payment terms and a unique slug."""
    base = slugify(name)
    taken = set(
        (await session.execute(select(Company.slug).where(Company.slug.like(f"{base}%")))).scalars()
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    company = Company(name=name.strip(), slug=slug, timezone=timezone)
    session.add(company)
    await session.flush()
    session.add_all(
        PaymentTerms(company_id=company.id, name=term, due_in_days=days)
        for term, days in DEFAULT_PAYMENT_TERMS
    )
    await session.flush()
    return company


def _staff_errors(
    errors: ErrorCollector, name: Any, email: Any, password: Any, *, creating: bool
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if creating or name is not UNSET:
        values["name"] = clean_text(errors, "name", name, required=True)
    if creating or email is not UNSET:
        values["email"] = clean_email(errors, "email", email)
        if not values["email"]:
            errors.add("email", "Email is required.", UserErrorCode.REQUIRED)
    if password not in (UNSET, None):
        if len(password) < MIN_PASSWORD_LENGTH:
            errors.add(
                "password",
                f"Password must have at least {MIN_PASSWORD_LENGTH} characters.",
                UserErrorCode.INVALID,
            )
        values["password"] = password
    return values


async def _hash_outside_transaction(values: dict[str, Any]) -> None:
    """Replaces a clean password by its hash, in a thread and before any write begins.

    argon2 takes tens of milliseconds of CPU on purpose; inside a transaction SQLite's
    write lock would be held all that time, and on the event loop every request would wait
    (resolvers/credentials.py runs one at a time per process, in a thread).
    """
    password = values.pop("password", None)
    if password is not None:
        values["password_hash"] = await hash_password_off_loop(password)


async def _email_taken(
    session: AsyncSession, company_id: int, email: str, except_id: int | None = None
) -> bool:
    """Whether a member of this company has the e-mail. Never another company's: unique per
    company, so no company learns which e-mails another one's staff have."""
    statement = select(Staff.id).where(
        Staff.company_id == company_id, func.lower(Staff.email) == email.lower()
    )
    if except_id is not None:
        statement = statement.where(Staff.id != except_id)
    return (await session.execute(statement)).first() is not None


async def create_staff(
    session: AsyncSession,
    company_id: int,
    *,
    name: str,
    email: str,
    role: Role,
    password: str | None = None,
    password_hash: str | None = None,
) -> Staff:
    """CLI and seed path: raises UserInputError on bad input. A `password` is hashed here,
    inside the caller's transaction: resolvers pass `password_hash` made beforehand."""
    errors = ErrorCollector()
    values = _staff_errors(errors, name, email, password, creating=True)
    errors.raise_if_any()
    if "password" in values:
        values["password_hash"] = hash_password(values.pop("password"))
    elif password_hash is not None:
        values["password_hash"] = password_hash
    if await _email_taken(session, company_id, values["email"]):
        raise UserInputError.one(("input", "email"), "That email is taken.", UserErrorCode.TAKEN)
    staff = Staff(company_id=company_id, role=role, active=True, **values)
    session.add(staff)
    await session.flush()
    return staff


async def staff_create(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.MANAGE_STAFF)
    errors = ErrorCollector()
    values = _staff_errors(errors, input.name, input.email, input.password, creating=True)
    errors.raise_if_any()
    await _hash_outside_transaction(values)
    async with context.transaction() as session:
        staff = await create_staff(
            session,
            viewer.company_id,
            name=values["name"],
            email=values["email"],
            role=Role(input.role.value),
            password_hash=values.get("password_hash"),
        )
        record(session, viewer, "staff.create", staff, {"name": [None, staff.name]})
    return {"staff": staff}


async def staff_update(context: Context, id: str, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.MANAGE_STAFF)
    pk = parse_id(id, "Staff", "id")
    errors = ErrorCollector()
    values = _staff_errors(errors, input.name, input.email, input.password, creating=False)
    if not errors:
        await _hash_outside_transaction(values)
    async with context.transaction() as session:
        staff = await session.get(Staff, pk)
        if staff is None:
            raise UserInputError.one("id", "No such staff member.", UserErrorCode.NOT_FOUND)
        await check_version(session, staff, input.expected_version)
        if input.role not in (UNSET, None):
            values["role"] = Role(input.role.value)
        if input.active not in (UNSET, None):
            values["active"] = input.active
        if staff.id == viewer.staff_id and (
            values.get("active") is False or values.get("role", Role.ADMIN) != Role.ADMIN
        ):
            errors.add(
                "active" if values.get("active") is False else "role",
                "You cannot deactivate or demote yourself; ask another admin.",
                UserErrorCode.FORBIDDEN,
            )
        errors.raise_if_any()
        if "email" in values and await _email_taken(
            session, viewer.company_id, values["email"], staff.id
        ):
            raise UserInputError.one(
                ("input", "email"), "That email is taken.", UserErrorCode.TAKEN
            )
        password_changed = values.pop("password_hash", None)
        changes = apply_changes(staff, values)
        if password_changed:
            staff.password_hash = password_changed
            changes["password"] = ["(hidden)", "(changed)"]
        if values.get("active") is False or password_changed:
            # A deactivated member, or one whose password changed, is signed out everywhere.
            await session.execute(
                update(AuthToken)
                .where(AuthToken.staff_id == staff.id, AuthToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        if changes:
            record(session, viewer, "staff.update", staff, changes)
    return {"staff": staff}


# Sign-in compares the password with at most this many members sharing the e-mail.
MAX_SIGN_IN_CANDIDATES = 10


async def _sign_in_candidates(context: Context, email: str, company: str | None) -> list[Staff]:
    statement = select(Staff).where(func.lower(Staff.email) == email.lower())
    if company:
        statement = statement.join(Company, Company.id == Staff.company_id).where(
            Company.slug == company.strip().lower()
        )
    session = context.db.session(None)  # sign-in looks across companies, before any viewer
    try:
        result = await session.execute(statement.order_by(Staff.id).limit(MAX_SIGN_IN_CANDIDATES))
        return list(result.scalars())
    finally:
        await session.close()


async def _matching(candidates: list[Staff], password: str) -> list[Staff]:
    """The active members whose password it is. Without candidates one hash is still
    checked, so an unknown e-mail takes as long as a wrong password."""
    if not candidates:
        await verify_password_off_loop(None, password)
        return []
    return [
        staff
        for staff in candidates
        # In a thread, outside any transaction: see _hash_outside_transaction.
        if await verify_password_off_loop(staff.password_hash, password) and staff.active
    ]


async def login(
    context: Context, email: str, password: str, company: str | None = None
) -> dict[str, Any]:
    """Signs in by e-mail and password; `company` (its slug) picks the company when the
    e-mail signs in to several. Every failure is the same INVALID_CREDENTIALS, whether the
    e-mail exists in some company or not."""
    attempts, address = context.login_attempts, context.client_address
    if attempts is not None:
        wait = await attempts.attempt(email, address)
        if wait is not None:
            # Refused before the password is looked at: guessing costs nothing but time.
            raise UserInputError.one(
                ("input",),
                f"Too many failed sign-ins; try again in {math.ceil(wait)} s.",
                UserErrorCode.THROTTLED,
            )
    matching = await _matching(await _sign_in_candidates(context, email, company), password)
    if not matching:
        raise UserInputError.one(
            ("input",), "Wrong email or password.", UserErrorCode.INVALID_CREDENTIALS
        )
    if len(matching) > 1:
        # Only someone holding the password of several of these accounts gets here.
        raise UserInputError.one(
            ("input", "company"),
            "This e-mail and password sign in to several companies: name the company "
            "(its slug, e.g. from your administrator).",
            UserErrorCode.REQUIRED,
        )
    (staff,) = matching
    if attempts is not None:
        await attempts.succeeded(email, address)
    async with context.db.transaction(None) as session:
        token = await issue_token(session, staff, context.settings.token_ttl_hours)
    return {"token": token, "staff": staff}


async def logout(context: Context) -> dict[str, Any]:
    viewer = context.viewer
    async with context.transaction() as session:
        await session.execute(
            update(AuthToken).where(AuthToken.id == viewer.token_id).values(revoked_at=utcnow())
        )
    return {"revoked": True}


async def staff_page(context: Context, args: PageArgs, active: bool | None) -> Any:
    statement = select(Staff)
    if active is not None:
        statement = statement.where(Staff.active.is_(active))
    return await paginate_for(context, statement, [SortKey(Staff.name)], Staff.id, args)
