"""The default cost limit lets every bench case through, with room to spare."""

from __future__ import annotations

from bench.costs import case_costs, requested_cost
from server.settings import Settings


def test_every_bench_case_is_under_the_default_limit():
    costs = {case.key: cost for case, cost in case_costs()}
    assert costs == {
        # 2 + 100 × (customer 1 + salesRep 1 + balance 1 + primaryContact 1
        #            + locations (2 + 50 × (1 + effectiveSalesRep 1)))
        "1a": 10_602,
        "1b": 10_602,
        "1c": 10_602,
        "2": 234,
        "3a": 2,
        "3b": 4,
        "3br": 4,
        "3c": 4,
        "4": 20,
        "5": 12,
        "7me": 1,
        # 2 + 100 × (customer 1 + salesRep 1 + primaryContact 1 + nextTask 1 + assignee 1)
        "8": 502,
    }
    assert max(costs.values()) * 4 < Settings().max_query_cost


def test_graphiql_style_operations_are_cheap():
    customer_list = """query CustomerList($first: Int = 50) { customers(first: $first) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id name salesRep { name } balance { currentBalance } } } }"""
    assert requested_cost(customer_list, {}) == 2 + 50 * 3
    assert requested_cost(customer_list, {"first": 250}) == 2 + 250 * 3
