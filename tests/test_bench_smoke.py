"""The benchmark suite at small scale, so it cannot rot: N = 200, in-process, 1 repeat.

Every case either measures (statements, latencies, its floor giving the same
answer, statements constant across page sizes) or says it is not built yet.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bench.cases import all_cases
from bench.dataset import seed_scale
from bench.harness import table
from bench.suite import Options, run_suite
from tests.test_sales_rollup import maintained, rebuilt


async def test_suite_runs_at_small_scale(database):
    summary = await seed_scale(
        database, 200, 3, anchor=datetime.now(UTC).replace(microsecond=0), progress=False
    )
    company_id = int(re.match(r"seeded company (\d+)", summary).group(1))
    backend = "sqlite" if database.sqlite else "postgres"

    results = await run_suite(
        database,
        company_id,
        backend,
        # Pages that are full at N = 200 (the busiest rep has at least 9 customers; every
        # customer 10 interactions and 20 orders), so statement counts must be equal.
        Options(repeat=1, http=False, throughput=False, page_sizes=(2, 5, 8)),
    )

    # Reads, the export, then writes (so every read sees the seeded data).
    reads = [case.key for case in all_cases() if not case.mutation]
    writes = [case.key for case in all_cases() if case.mutation]
    assert [r.case for r in results] == reads + ["6"] + writes
    printed = table(results)
    lines = printed.splitlines()
    assert [cell.strip() for cell in lines[0].split(" | ")][:4] == [
        "case",
        "backend",
        "mode",
        "stmts",
    ]
    assert len(lines) == 2 + len(results)
    for result in results:
        if result.note.startswith("n/a (not built yet"):
            assert result.p50 is None and result.statements is None
            continue
        assert not result.note.startswith("error"), result.note
        assert result.p50 is not None and result.p95 >= result.p50 > 0
        assert result.statements is not None and result.statements > 0
        if result.floor_p50 is not None:
            assert result.matches_floor, f"case {result.case}: GraphQL and floor answers differ"
        if result.statements_by_size is not None:
            # Cases 1 and 2: the same number of statements at 10, 100 and 250 rows.
            assert len(set(result.statements_by_size)) == 1, result
    me = next(r for r in results if r.case == "7me")
    assert me.matches_floor is True and me.statements <= 4
    # The seeder's rollup, moved since by case 5 (GraphQL and its floor), is still exact.
    rollup = await maintained(database, company_id)
    assert rollup and rollup == await rebuilt(database, company_id)
