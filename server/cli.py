"""The `rolodex` command. Every command takes --database (default ROLODEX_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import func, select

from db.enums import Role
from db.migrate import upgrade
from db.models import Company, Staff
from db.session import Database, Scope
from resolvers.errors import UserInputError
from resolvers.ids import encode_id
from resolvers.permissions import Viewer
from server.settings import get_settings

T = TypeVar("T")

database_option = click.option(
    "--database",
    "database_url",
    envvar="ROLODEX_DATABASE_URL",
    default=lambda: get_settings().database_url,
    show_default="ROLODEX_DATABASE_URL or sqlite+aiosqlite:///./rolodex.db",
    help="SQLAlchemy URL: sqlite+aiosqlite:///path.db or postgresql+asyncpg://...",
)


def run_with_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Runs `work` on an up-to-date database (upgrading first is cheap when it is)."""

    async def main() -> T:
        await upgrade(url)
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def fail_on_user_error(error: UserInputError) -> None:
    for item in error.errors:
        field = ".".join(item.field[1:] if item.field else ()) or "input"
        click.echo(f"error: {field}: {item.message}", err=True)
    sys.exit(2)


@click.group()
def main() -> None:
    """Rolodex: the customer-relationship API for B2B sellers."""


@main.command()
@database_option
def migrate(database_url: str) -> None:
    """Upgrade the database to the newest schema."""
    asyncio.run(upgrade(database_url))
    click.echo("database is up to date", err=True)


@main.command()
@database_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Load the demo company if the database is empty.")
def serve(database_url: str, host: str, port: int, workers: int, demo: bool) -> None:
    """Migrate, then serve GraphQL (GraphiQL at /graphql)."""
    import os

    import uvicorn

    # Before any work (migrating, seeding, printing a sign-in): a taken port would only
    # fail once all that was done, with uvicorn's bare "address already in use".
    problem = port_problem(host, port)
    if problem:
        click.echo(problem, err=True)
        sys.exit(2)
    asyncio.run(upgrade(database_url))
    if demo:
        login = run_with_db(database_url, _demo_if_empty)
        if login:
            click.echo(login, err=True)
    os.environ["ROLODEX_DATABASE_URL"] = database_url
    click.echo(f"GraphiQL: http://{host}:{port}/graphql", err=True)
    uvicorn.run(
        "server.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Drops connections that do not send a whole request head in time (slowloris).
        http="server.limits.slow_clients:HeaderTimeoutProtocol",
        timeout_keep_alive=5,
    )


def port_problem(host: str, port: int) -> str | None:
    """Why `serve` cannot listen on host:port, in words that say what to do; else None."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"Port {port} on {host} is already in use (another Rolodex or another "
                    f"program). Pick a free one: `rolodex serve --port {port + 1}`, or "
                    f"`make run PORT={port + 1}`."
                )
            return f"Cannot listen on {host}:{port}: {error.strerror}."
    return None


async def _demo_if_empty(db: Database) -> str | None:
    from resolvers.demo import demo_login_text, seed_demo

    async with db.transaction(None) as session:
        has_company = (await session.execute(select(func.count(Company.id)))).scalar_one()
        if has_company:
            return await demo_login_text(session, fresh=False)
        await seed_demo(session, get_settings())
        return await demo_login_text(session, fresh=True)


@main.group()
def company() -> None:
    """Companies (tenants)."""


@company.command("create")
@database_option
@click.argument("name")
def company_create(database_url: str, name: str) -> None:
    """Create a company; prints its slug."""
    from resolvers.accounts import create_company

    async def work(db: Database) -> str:
        async with db.transaction(None) as session:
            return (await create_company(session, name)).slug

    click.echo(run_with_db(database_url, work))


@main.group()
def staff() -> None:
    """Staff members."""


@staff.command("create")
@database_option
@click.option("--company", "company_slug", required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", default=None)
def staff_create(
    database_url: str, company_slug: str, email: str, name: str, role: str, password: str | None
) -> None:
    """Create a staff member of a company."""
    from resolvers.accounts import create_staff

    async def work(db: Database) -> None:
        async with db.transaction(None) as session:
            found = (
                await session.execute(select(Company).where(Company.slug == company_slug))
            ).scalar_one_or_none()
            if found is None:
                raise click.ClickException(f"no company with slug {company_slug!r}")
            await create_staff(
                session, found.id, name=name, email=email, role=Role(role), password=password
            )

    try:
        run_with_db(database_url, work)
    except UserInputError as error:
        fail_on_user_error(error)
    click.echo(f"created {email}", err=True)


@main.group()
def token() -> None:
    """Bearer tokens."""


@token.command("create")
@database_option
@click.argument("email")
@click.option(
    "--company", "company_slug", help="The company's slug, when EMAIL is in several companies."
)
def token_create(database_url: str, email: str, company_slug: str | None) -> None:
    """Issue a bearer token for EMAIL; prints only the token."""
    from resolvers.credentials import issue_token

    async def work(db: Database) -> str:
        async with db.transaction(None) as session:
            statement = select(Staff).where(
                func.lower(Staff.email) == email.lower(), Staff.active.is_(True)
            )
            if company_slug:
                statement = statement.join(Company, Company.id == Staff.company_id).where(
                    Company.slug == company_slug
                )
            members = list((await session.execute(statement.limit(2))).scalars())
            if not members:
                raise click.ClickException(f"no active staff member with email {email!r}")
            if len(members) > 1:
                raise click.ClickException(
                    f"{email!r} is in several companies: name one with --company SLUG"
                )
            return await issue_token(session, members[0], get_settings().token_ttl_hours)

    click.echo(run_with_db(database_url, work))


@main.command()
@database_option
@click.option("--demo", is_flag=True, help="A demo company with staff and realistic data.")
def seed(database_url: str, demo: bool) -> None:
    """Load demo data (the benchmark data set: `python -m bench.seed --scale N`)."""
    if not demo:
        raise click.UsageError("pass --demo (benchmark data: python -m bench.seed --scale N)")
    from resolvers.demo import demo_login_text, seed_demo

    async def work(db: Database) -> str | None:
        async with db.transaction(None) as session:
            await seed_demo(session, get_settings())
            return await demo_login_text(session, fresh=True)

    click.echo(run_with_db(database_url, work))


@main.command()
@database_option
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Purge customers deleted more than this many days ago.",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be purged.")
def purge(database_url: str, days: int, dry_run: bool) -> None:
    """Empty the recycle bin of customers deleted more than --days ago, for good."""
    from resolvers.recycle_bin import purge as purge_customers

    count = run_with_db(
        database_url,
        lambda db: purge_customers(db, get_settings(), days=days, dry_run=dry_run),
    )
    verb = "would purge" if dry_run else "purged"
    click.echo(f"{verb} {count} customer{'s' if count != 1 else ''} deleted over {days} days ago")


@main.group("import")
def import_() -> None:
    """Load data from CSV files (docs/data-in.md)."""


@import_.command("customers")
@database_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--company", "company_slug", required=True, help="The company's slug.")
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
def import_customers(database_url: str, path: Path, company_slug: str, dry_run: bool) -> None:
    """Create and update customers from PATH, as customersImport does (all or nothing)."""
    from tqdm import tqdm

    from resolvers.imports import import_customers as run_import

    with path.open("rb") as handle:
        rows = max(sum(1 for _ in handle) - 1, 0)

    async def work(db: Database) -> Any:
        viewer = await _company_admin(db, company_slug)
        passes = 1 if dry_run else 2
        with tqdm(total=rows * passes, unit="rows", desc="importing", smoothing=0.1) as bar:
            async with db.transaction(Scope(viewer.company_id)) as session:
                return await run_import(session, viewer, path, dry_run=dry_run, progress=bar.update)

    _report(database_url, work)


def _report(database_url: str, work: Any) -> None:
    """Runs an import, prints its row errors and summary; exit 1 with any row error."""
    try:
        outcome, operation = run_with_db(database_url, work)
    except UserInputError as error:
        fail_on_user_error(error)
        return
    for row_error in outcome.row_errors:
        click.echo(
            f"line {row_error.row}: {row_error.field or 'row'}: {row_error.message}", err=True
        )
    summary = (
        f"{outcome.row_count} rows: {outcome.created_count} to create, "
        f"{outcome.updated_count} to update"
    )
    if outcome.error_count:
        click.echo(f"{summary}; {outcome.error_count} row errors: nothing was written.", err=True)
        sys.exit(1)
    if operation is None:
        click.echo(f"{summary} (dry run: nothing was written).")
    else:
        click.echo(f"{summary}: done. Bulk operation {encode_id('BulkOperation', operation.id)}.")


def _rows_command(kind: str) -> None:
    """`rolodex import locations|contacts`: as locationsImport / contactsImport."""

    @import_.command(
        kind, help=f"Create and update {kind} from PATH, as {kind}Import does (all or nothing)."
    )
    @database_option
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--company", "company_slug", required=True, help="The company's slug.")
    @click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
    def command(database_url: str, path: Path, company_slug: str, dry_run: bool) -> None:
        from tqdm import tqdm

        from resolvers.import_child_fields import CONTACTS, LOCATIONS
        from resolvers.imports_children import import_rows

        table = LOCATIONS if kind == "locations" else CONTACTS
        with path.open("rb") as handle:
            rows = max(sum(1 for _ in handle) - 1, 0)

        async def work(db: Database) -> Any:
            viewer = await _company_admin(db, company_slug)
            passes = 1 if dry_run else 2
            with tqdm(total=rows * passes, unit="rows", desc="importing", smoothing=0.1) as bar:
                async with db.transaction(Scope(viewer.company_id)) as session:
                    return await import_rows(
                        session, viewer, table, path, dry_run=dry_run, progress=bar.update
                    )

        _report(database_url, work)


for _kind in ("locations", "contacts"):
    _rows_command(_kind)


async def _company_admin(db: Database, slug: str) -> Viewer:
    """The company's first active ADMIN: the actor the audit log names for a CLI import."""
    async with db.transaction(None) as session:
        found = (
            await session.execute(
                select(Company, Staff)
                .join(Staff, Staff.company_id == Company.id)
                .where(Company.slug == slug, Staff.role == Role.ADMIN, Staff.active)
                .order_by(Staff.id)
                .limit(1)
            )
        ).first()
    if found is None:
        raise click.UsageError(f"No company {slug!r} with an active ADMIN.")
    company, staff = found
    return Viewer(
        staff_id=staff.id,
        company_id=company.id,
        role=staff.role,
        name=staff.name,
        token_id=0,
        company_timezone=company.timezone,
    )


@main.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL SDL (what schema.graphql holds)."""
    from schema import schema

    click.echo(schema.as_str())


if __name__ == "__main__":
    main()
