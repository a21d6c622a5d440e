"""What a request selects below a field, for resolvers that prefetch a whole page at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import SelectedField

# field name -> what is selected below it; fragments are merged in.
Selection = dict[str, "Selection"]


def _merge(selections: Iterable[Any], into: Selection) -> Selection:
    for selection in selections:
        if isinstance(selection, SelectedField):
            _merge(selection.selections, into.setdefault(selection.name, {}))
        else:  # a fragment spread or an inline fragment
            _merge(selection.selections, into)
    return into


def connection_nodes(info: Info) -> Selection:
    """What the current Connection field selects on its items (`nodes` and `edges.node`)."""
    items: Selection = {}
    for below in _merge(info.selected_fields, {}).values():
        _merge_dicts(connection_nodes_of(below), items)
    return items


def connection_nodes_of(connection: Selection) -> Selection:
    """What a Connection's selection selects on its items."""
    items: Selection = {}
    _merge_dicts(connection.get("nodes", {}), items)
    _merge_dicts(connection.get("edges", {}).get("node", {}), items)
    return items


def _merge_dicts(source: Selection, into: Selection) -> None:
    for name, below in source.items():
        _merge_dicts(below, into.setdefault(name, {}))
