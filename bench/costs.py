"""`python -m bench.costs`: the requested cost of every bench case against the limit,
and what validating and costing the fragment fan-outs of issue 13 takes.

Costs come from the document and the case's variables alone (schema/cost.py), so no
data set is needed; docs/limits.md's table of costs is this output.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from graphql import parse, specified_rules, validate

from bench.cases import Case, Fixture, all_cases
from schema import schema
from schema.cost import CostLimits, CostWalk, operation_of
from schema.validation import alias_limit, depth_limit
from server.settings import Settings

# The shape of a bench fixture: ids do not change a cost, sizes do (10,000 bulk ids).
SAMPLE = Fixture(
    company_id=1,
    token="",
    admin_id=1,
    customer_id=1,
    rep_id=2,
    other_rep_id=3,
    year=2025,
    fragment="ann",
    bulk_ids=list(range(1, 10_001)),
    today=date(2026, 12, 4),
    orders=1,
)


def requested_cost(query: str, variables: dict, limits: CostLimits | None = None) -> int:
    settings = Settings()
    limits = limits or CostLimits(
        settings.max_query_cost, settings.default_page_size, settings.max_page_size
    )
    document = parse(query)
    walk = CostWalk(schema._schema, document, variables, limits)
    operation = operation_of(document, None)
    assert operation is not None, "the query has one operation"
    return walk.requested(operation)


def case_costs() -> list[tuple[Case, int]]:
    return [(case, requested_cost(case.query, case.variables(SAMPLE))) for case in all_cases()]


def fan_out_timings() -> None:
    """Median of 7 in-process: every specified rule and both limits, then the cost."""
    from bench.load import fan_out

    rules = (*specified_rules, depth_limit(12), alias_limit(30))
    for levels in (13, 30):
        document = parse(fan_out(levels))
        validating, costing = [], []
        for _ in range(7):
            started = time.perf_counter()
            validate(schema._schema, document, rules)
            validating.append(time.perf_counter() - started)
            started = time.perf_counter()
            requested_cost(fan_out(levels), {})
            costing.append(time.perf_counter() - started)
        print(
            f"fan-out 3^{levels}: validation {statistics.median(validating) * 1000:.1f} ms, "
            f"requested cost (parse included) {statistics.median(costing) * 1000:.2f} ms"
        )


def main() -> None:
    fan_out_timings()
    limit = Settings().max_query_cost
    print(f"| case | requested cost | share of the limit ({limit:,}) |")
    print("|---|---:|---:|")
    for case, cost in case_costs():
        print(f"| {case.key} {case.title} | {cost:,} | {cost / limit:.0%} |")


if __name__ == "__main__":
    main()
