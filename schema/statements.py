"""Customer statements: the ledger of one customer over a period, with running balance.

The lines are read in resolvers/statements.py; the PDF and CSV forms are
server/exports_statement.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from resolvers import statements
from resolvers.money import cents_to_decimal
from schema.enums import graphql_enum

if TYPE_CHECKING:
    from schema.customers import Customer

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers")]

StatementLineKind = statements.StatementLineKind
graphql_enum(
    StatementLineKind,
    description="What a statement line records.",
    value_descriptions=statements.KIND_DESCRIPTIONS,
)


@strawberry.type(description="One event that moved the customer's balance.")
class StatementLine:
    # Plain fields: a statement may have thousands of lines.
    date: date = strawberry.field(description="The day it happened, in the company's zone.")
    kind: StatementLineKind = strawberry.field(description="What happened.")
    reference: str | None = strawberry.field(
        description="The order number (INVOICE, CANCELLATION) or the transaction's reference."
    )
    description: str = strawberry.field(description="A line a customer can read.")
    amount: Decimal = strawberry.field(
        description="How it moved the balance: positive adds to what the customer owes."
    )
    balance: Decimal = strawberry.field(description="The balance after this line.")

    @classmethod
    def of(cls, line: statements.StatementLine) -> StatementLine:
        return cls(
            date=line.date,
            kind=line.kind,
            reference=line.reference,
            description=line.description,
            amount=cents_to_decimal(line.amount_cents),
            balance=cents_to_decimal(line.balance_cents),
        )


@strawberry.type(
    description="A customer's statement for a period: openingBalance + Σ lines.amount = "
    "closingBalance; with `to` = today the closing balance is balance.currentBalance."
)
class CustomerStatement:
    customer: CustomerRef = strawberry.field(description="Whose statement it is.")
    from_: date = strawberry.field(name="from", description="First day (company time zone).")
    to: date = strawberry.field(description="Last day, included.")
    opening_balance: Decimal = strawberry.field(description="The balance before `from`.")
    closing_balance: Decimal = strawberry.field(description="The balance at the end of `to`.")
    lines: list[StatementLine] = strawberry.field(description="In date order.")


@strawberry.type
class Query:
    @strawberry.field(
        description="The customer's statement: every invoice, cancellation and transaction "
        "from `from` to `to` (days in the company's time zone, both included; `to` "
        "defaults to today, `from` to the first day of `to`'s month). Null for an unknown "
        "customer. At most ROLODEX_STATEMENT_MAX_LINES lines (else BAD_USER_INPUT: choose "
        "a shorter period). Also GET /export/statement.pdf and /export/statement.csv."
    )
    async def customer_statement(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="Whose statement.")],
        from_: Annotated[
            date | None, strawberry.argument(name="from", description="First day.")
        ] = None,
        to: Annotated[date | None, strawberry.argument(description="Last day.")] = None,
    ) -> CustomerStatement | None:
        statement = await statements.customer_statement(
            info.context,
            customer_id,
            from_,
            to,
            max_lines=info.context.settings.statement_max_lines,
        )
        if statement is None:
            return None
        return CustomerStatement(
            customer=statement.customer,  # type: ignore[arg-type]
            from_=statement.from_date,
            to=statement.to_date,
            opening_balance=cents_to_decimal(statement.opening_cents),
            closing_balance=cents_to_decimal(statement.closing_cents),
            lines=[StatementLine.of(line) for line in statement.lines],
        )
