"""The `rolodex` command: migrate, company, staff, token, demo seed, schema export; and
`python -m bench.seed`, which the server does not carry."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from db.session import Database
from resolvers.credentials import viewer_for_token
from server.cli import main


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_company_staff_and_token(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    _run("migrate", "--database", url)
    slug = _run("company", "create", "Acme Café Supply", "--database", url).strip()
    assert slug == "acme-cafe-supply"
    assert _run("company", "create", "Acme Cafe Supply", "--database", url).strip() == (
        "acme-cafe-supply-2"
    )
    _run(
        "staff",
        "create",
        "--database",
        url,
        "--company",
        slug,
        "--email",
        "Boss@Acme.example",
        "--name",
        "Boss",
        "--role",
        "ADMIN",
        "--password",
        "a-long-password",
    )
    token = _run("token", "create", "boss@acme.example", "--database", url).strip()
    assert len(token) >= 40 and "\n" not in token

    async def who() -> tuple[str, str]:
        db = Database(url)
        session = db.session(None)
        viewer = await viewer_for_token(session, token)
        await session.close()
        await db.dispose()
        return viewer.name, viewer.role.value

    assert asyncio.run(who()) == ("Boss", "ADMIN")


def test_staff_create_rejects_bad_input(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    slug = _run("company", "create", "Beta", "--database", url).strip()
    result = CliRunner().invoke(
        main,
        [
            "staff",
            "create",
            "--database",
            url,
            "--company",
            slug,
            "--email",
            "nope",
            "--name",
            "X",
            "--role",
            "REP",
        ],
    )
    assert result.exit_code == 2
    assert "email: Not a valid email address: 'nope'." in result.output


def test_seed_demo_prints_how_to_sign_in(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    out = _run("seed", "--demo", "--database", url)
    assert "ada@northwind.example" in out
    assert '"Authorization": "Bearer ' in out


def test_seed_without_demo_points_at_the_bench_seeder(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    result = CliRunner().invoke(main, ["seed", "--database", url])
    assert result.exit_code == 2
    assert "pass --demo (benchmark data: python -m bench.seed --scale N)" in result.output
    assert not (tmp_path / "none.db").exists()


def test_bench_seed_builds_the_scale_data_set(tmp_path, capsys):
    from bench.seed import main as bench_seed

    url = f"sqlite+aiosqlite:///{tmp_path / 'scale.db'}"
    bench_seed(["--scale", "3", "--seed", "7", "--database", url])
    out = capsys.readouterr().out
    assert "25 staff, 200 products, 3 customers," in out
    assert "60 orders," in out
    assert "log in as admin-1@scale.example / rolodex-bench-2026" in out


def test_the_app_does_not_import_the_bench_package():
    """The server ships without bench/: nothing outside it (and tests) may import it."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for package in ("server", "schema", "resolvers", "db"):
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                if any(name == "bench" or name.startswith("bench.") for name in names):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def test_export_schema_matches_file():
    from pathlib import Path

    saved = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text()
    assert _run("export-schema") == saved


def test_serve_with_its_port_taken_says_so_before_any_work(tmp_path):
    import socket

    database = tmp_path / "never.db"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main,
            [
                "serve",
                "--demo",
                "--port",
                str(port),
                "--database",
                f"sqlite+aiosqlite:///{database}",
            ],
        )
    assert result.exit_code == 2
    assert result.stderr == (
        f"Port {port} on 127.0.0.1 is already in use (another Rolodex or another program). "
        f"Pick a free one: `rolodex serve --port {port + 1}`, or `make run PORT={port + 1}`.\n"
    )
    # Nothing was migrated, seeded or announced.
    assert not database.exists()
    assert "GraphiQL" not in result.output
