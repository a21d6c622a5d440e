"""A customer statement as a PDF a seller can send (ReportLab's platypus).

Company and customer at the top, the period, a summary (opening balance, charges,
credits, amount due), every line with its running balance (the table continues over
pages with its header repeated), the closing balance, and the customer's aging. Dates
are the company's (the caller passes them in its time zone). Bitstream Vera, which
ReportLab ships, is embedded, so accented names print and copy as they are.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from resolvers.aging import AgingRow
from resolvers.money import cents_to_decimal
from resolvers.statements import Statement, StatementLineKind

FONTS = Path(reportlab.__file__).parent / "fonts"
REGULAR, BOLD = "RolodexVera", "RolodexVera-Bold"
KIND_LABELS = {
    StatementLineKind.INVOICE: "Invoice",
    StatementLineKind.PAYMENT: "Payment",
    StatementLineKind.REFUND: "Refund",
    StatementLineKind.CREDIT: "Credit",
    StatementLineKind.ADJUSTMENT: "Adjustment",
    StatementLineKind.CANCELLATION: "Cancellation",
}
GRID = colors.HexColor("#c8ccd2")
SHADE = colors.HexColor("#eef1f4")


def _register_fonts() -> None:
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "VeraBd.ttf")))


def money(cents: int) -> str:
    """1,234.50 / -1,234.50: as the API's Decimal, with thousands separated."""
    return f"{cents_to_decimal(cents):,.2f}"


@dataclass(frozen=True)
class StatementDocument:
    """Everything the PDF shows, already read."""

    company_name: str
    statement: Statement
    aging: AgingRow
    issued_on: date
    address: list[str]


def address_lines(customer: Any) -> list[str]:
    city = " ".join(part for part in (customer.billing_postal_code, customer.billing_city) if part)
    region = ", ".join(part for part in (city, customer.billing_region) if part)
    lines = [customer.billing_line1, customer.billing_line2, region, customer.billing_country]
    return [line for line in lines if line]


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=9, leading=11.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=16, leading=20),
        "heading": ParagraphStyle(
            "heading", parent=base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8
        ),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "right_title": ParagraphStyle(
            "right_title", parent=base, fontName=BOLD, fontSize=16, leading=20, alignment=TA_RIGHT
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _header(doc: StatementDocument, styles: dict[str, ParagraphStyle]) -> list[Any]:
    statement = doc.statement
    left = [_p(doc.company_name, styles["title"]), Spacer(1, 4 * mm)]
    left += [_p("Statement for", styles["small"]), _p(statement.customer.name, styles["heading"])]
    left += [_p(line, styles["base"]) for line in doc.address]
    right = [
        _p("STATEMENT", styles["right_title"]),
        Spacer(1, 4 * mm),
        _p(f"Date: {doc.issued_on.isoformat()}", styles["right"]),
        _p(
            f"Period: {statement.from_date.isoformat()} to {statement.to_date.isoformat()}",
            styles["right"],
        ),
        _p(f"Amount due: {money(statement.closing_cents)}", styles["right"]),
    ]
    table = Table([[left, right]], colWidths=[100 * mm, 80 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [table, Spacer(1, 6 * mm)]


def _summary(statement: Statement) -> Table:
    charges = sum(line.amount_cents for line in statement.lines if line.amount_cents > 0)
    credits = -sum(line.amount_cents for line in statement.lines if line.amount_cents < 0)
    rows = [
        ["Opening balance", money(statement.opening_cents)],
        ["Invoices and charges", money(charges)],
        ["Payments and credits", money(-credits)],
        ["Closing balance", money(statement.closing_cents)],
    ]
    table = Table(rows, colWidths=[60 * mm, 35 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 9),
                ("FONT", (0, -1), (-1, -1), BOLD, 9),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ]
        )
    )
    return table


def _lines(statement: Statement, styles: dict[str, ParagraphStyle]) -> LongTable:
    header = ["Date", "Type", "Reference", "Description", "Amount", "Balance"]
    rows: list[list[Any]] = [header]
    rows.append(
        [
            statement.from_date.isoformat(),
            "",
            "",
            "Opening balance",
            "",
            money(statement.opening_cents),
        ]
    )
    for line in statement.lines:
        rows.append(
            [
                line.date.isoformat(),
                KIND_LABELS[line.kind],
                _p(line.reference or "", styles["small"]),
                _p(line.description, styles["small"]),
                money(line.amount_cents),
                money(line.balance_cents),
            ]
        )
    rows.append(
        [
            statement.to_date.isoformat(),
            "",
            "",
            "Closing balance",
            "",
            money(statement.closing_cents),
        ]
    )
    widths = [20 * mm, 22 * mm, 25 * mm, 65 * mm, 24 * mm, 24 * mm]
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 8),
                ("FONT", (0, 0), (-1, 0), BOLD, 8),
                ("FONT", (0, -1), (-1, -1), BOLD, 8),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, GRID),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("ALIGN", (4, 0), (5, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _aging(aging: AgingRow) -> Table:
    header = ["Current", "1–30 days", "31–60 days", "61–90 days", "Over 90", "Unapplied credit"]
    values = [
        aging.current_cents,
        aging.days_1_to_30_cents,
        aging.days_31_to_60_cents,
        aging.days_61_to_90_cents,
        aging.over_90_cents,
        aging.unapplied_credit_cents,
    ]
    rows = [[*header, "Total"], [*(money(v) for v in values), money(aging.total_cents)]]
    table = Table(rows, colWidths=[24 * mm] * 5 + [32 * mm, 28 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 8),
                ("FONT", (0, 0), (-1, 0), BOLD, 8),
                ("FONT", (-1, 1), (-1, 1), BOLD, 8),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("GRID", (0, 0), (-1, -1), 0.25, GRID),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def render_statement(doc: StatementDocument) -> bytes:
    """The PDF's bytes (CPU-bound: callers run it in a worker thread)."""
    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    statement = doc.statement
    title = f"Statement {statement.customer.name} {statement.to_date.isoformat()}"

    def footer(canvas: Any, page: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(15 * mm, 10 * mm, f"{doc.company_name} · {statement.customer.name}")
        canvas.drawRightString(195 * mm, 10 * mm, f"Page {page.page}")
        canvas.restoreState()

    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=doc.company_name,
        subject="Customer statement",
    )
    story: list[Any] = [*_header(doc, styles), _summary(statement), Spacer(1, 6 * mm)]
    story += [_lines(statement, styles), Spacer(1, 6 * mm)]
    story += [_p(f"Aging as of {doc.issued_on.isoformat()}", styles["heading"]), Spacer(1, 2 * mm)]
    story += [_aging(doc.aging)]
    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
