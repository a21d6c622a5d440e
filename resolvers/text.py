"""Text keys for case- and accent-insensitive sorting and searching."""

import re
import unicodedata
from typing import Any

from sqlalchemy import event

from db.models import Contact, Customer, Location


def fold(text: str) -> str:
    """Lower case without accents: 'Café Olé' -> 'cafe ole'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_key(name: str) -> str:
    return fold(name.strip())


def optional_key(text: str | None) -> str | None:
    return name_key(text) if text else None


# Words that don't tell two businesses apart: "Acme, Inc." and "ACME" are one name.
LEGAL_SUFFIXES = frozenset(
    "inc incorporated llc ltd limited co corp corporation company gmbh sa sarl bv plc the".split()
)
# Shorter digit strings are extensions or typos, not phone numbers worth matching.
MIN_PHONE_DIGITS = 7
# The national part: "+1 503 555 0100" and "(503) 555-0100" are one number.
PHONE_DIGITS_KEPT = 10


def match_name(name: str | None) -> str | None:
    """A customer name reduced for duplicate matching: folded, words only, no legal suffix."""
    words = [w for w in re.split(r"[^\w]+", fold(name or "")) if w and w not in LEGAL_SUFFIXES]
    return " ".join(words) or None


def phone_key(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_DIGITS_KEPT:] if len(digits) >= MIN_PHONE_DIGITS else None


def email_key(email: str | None) -> str | None:
    return email.strip().casefold() or None if email else None


def duplicate_keys(name: str | None, email: str | None, phone: str | None) -> dict[str, Any]:
    """Customer.email_key, phone_key and match_name for these values."""
    return {
        "email_key": email_key(email),
        "phone_key": phone_key(phone),
        "match_name": match_name(name),
    }


@event.listens_for(Customer, "before_insert")
@event.listens_for(Customer, "before_update")
def _customer_keys(_mapper: Any, _connection: Any, customer: Customer) -> None:
    for name, value in duplicate_keys(customer.name, customer.email, customer.phone).items():
        setattr(customer, name, value)


# Contact.name_key and Location.city_key exist only for search (see resolvers.search).
# Every ORM insert or update of those rows keeps them in step here, so the code
# writing contacts and locations need not know about them. Bulk INSERTs from
# lists of dicts skip mapper events: such writers call the functions above
# themselves (until then search falls back to lower() without accent folding).


@event.listens_for(Contact, "before_insert")
@event.listens_for(Contact, "before_update")
def _contact_keys(_mapper: Any, _connection: Any, contact: Contact) -> None:
    contact.name_key = optional_key(contact.name)


@event.listens_for(Location, "before_insert")
@event.listens_for(Location, "before_update")
def _location_keys(_mapper: Any, _connection: Any, location: Location) -> None:
    location.city_key = optional_key(location.city)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped (escape '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
