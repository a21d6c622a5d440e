"""Text keys for case- and accent-insensitive sorting and searching."""

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents: 'Café Olé' -> 'cafe ole'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_key(name: str) -> str:
    return fold(name.strip())
