"""The columns of a locations or contacts CSV: the exports' column keys, parsed back.

Each table is what `resolvers.imports_children` needs to import one kind of row that
hangs off a customer: the model, the writable fields (the parsers are the customer
import's), the export's computed columns (accepted and ignored, so an export imports
back unchanged) and the search keys a core INSERT must fill itself (mapper events do
not run for it, see resolvers.text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db.models import Contact, Location
from resolvers.import_fields import ImportField, _country, _reference, _text
from resolvers.text import name_key, optional_key
from resolvers.validation import clean_email, clean_phone

# Every child CSV names its customer by one of these (the export writes all three).
CUSTOMER_COLUMNS = ("customerId", "customerExternalId", "customer")


@dataclass(frozen=True)
class ChildTable:
    """One importable kind of row under a customer."""

    type_name: str
    model: Any
    fields: tuple[ImportField, ...]
    read_only: frozenset[str]
    # Stored column -> its value computed from the row's (merged) values.
    keys: Callable[[dict[str, Any]], dict[str, Any]]
    export_path: str

    @property
    def entity_type(self) -> str:
        return f"{self.type_name}Import"

    @property
    def create_action(self) -> str:
        return f"{self.type_name.lower()}.import_create"

    @property
    def update_action(self) -> str:
        return f"{self.type_name.lower()}.import_update"

    @property
    def by_key(self) -> dict[str, ImportField]:
        return {f.key: f for f in self.fields}

    @property
    def by_column(self) -> dict[str, ImportField]:
        return {f.column: f for f in self.fields}

    @property
    def known_headers(self) -> frozenset[str]:
        return frozenset({"id", *CUSTOMER_COLUMNS, *self.by_key, *self.read_only})


def _email(errors: Any, key: str, value: str, _refs: Any) -> Any:
    return clean_email(errors, key, value)


def _phone(errors: Any, key: str, value: str, _refs: Any) -> Any:
    return clean_phone(errors, key, value)


LOCATIONS = ChildTable(
    type_name="Location",
    model=Location,
    fields=(
        ImportField("name", "name", _text(200)),
        ImportField("phone", "phone", _phone),
        ImportField("email", "email", _email),
        ImportField("line1", "line1", _text(200)),
        ImportField("line2", "line2", _text(200)),
        ImportField("city", "city", _text(100)),
        ImportField("region", "region", _text(100)),
        ImportField("postalCode", "postal_code", _text(20)),
        ImportField("country", "country", _country),
        # The location's own rep (an override of the customer's), by name or e-mail.
        ImportField("salesRep", "sales_rep_id", _reference("staff")),
    ),
    read_only=frozenset({"orderCount", "totalSales", "createdAt"}),
    keys=lambda v: {"name_key": name_key(v["name"]), "city_key": optional_key(v.get("city"))},
    export_path="/export/locations.csv",
)

CONTACTS = ChildTable(
    type_name="Contact",
    model=Contact,
    fields=(
        ImportField("name", "name", _text(200)),
        ImportField("title", "title", _text(200)),
        ImportField("email", "email", _email),
        ImportField("phone", "phone", _phone),
        ImportField("mobile", "mobile", _phone),
        ImportField("fax", "fax", _phone),
        ImportField("notes", "notes", _text(10_000)),
    ),
    # Who is primary is kept by Rolodex (the first contact of a customer is), not imported.
    read_only=frozenset({"isPrimary"}),
    keys=lambda v: {"name_key": optional_key(v["name"])},
    export_path="/export/contacts.csv",
)
