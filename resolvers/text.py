"""Text keys for case- and accent-insensitive sorting and searching."""

import unicodedata
from typing import Any

from sqlalchemy import event

from db.models import Contact, Location


def fold(text: str) -> str:
    """Lower case without accents: 'Café Olé' -> 'cafe ole'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_key(name: str) -> str:
    return fold(name.strip())


def optional_key(text: str | None) -> str | None:
    return name_key(text) if text else None


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
