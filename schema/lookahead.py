"""Look-ahead: whether the query selects a field below the one being resolved.

A resolver that reads rows can then read, in the same statement, what the fields
below it will need (a join, a subquery) and prime their loaders, instead of each
of those fields running a statement of its own. Fragments are followed; @skip and
@include are not evaluated, so a skipped field counts as selected (some work for
nothing, never a wrong answer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.types import Info


def _children(info: Info, nodes: Iterable[Any]) -> Iterable[FieldNode]:
    """The fields of the selection sets of `nodes`, fragments flattened."""
    for node in nodes:
        selection_set = node.selection_set
        if selection_set is None:
            continue
        yield from _flatten(info, selection_set.selections)


def _flatten(info: Info, selections: Iterable[Any]) -> Iterable[FieldNode]:
    for selection in selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _flatten(info, selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info._raw_info.fragments.get(selection.name.value)
            if fragment is not None:
                yield from _flatten(info, fragment.selection_set.selections)


def _selects(info: Info, nodes: Iterable[Any], path: Sequence[str]) -> bool:
    if not path:
        return True
    head, rest = path[0], path[1:]
    matching = [node for node in _children(info, nodes) if node.name.value == head]
    return bool(matching) and _selects(info, matching, rest)


def selects(info: Info, *path: str) -> bool:
    """Whether the current field selects `path` (GraphQL names), e.g. "balance", "overdueAmount"."""
    # graphql-core's own resolve info: its AST nodes are walked as they are, where
    # Strawberry's public `info.selected_fields` would first convert the whole subtree.
    return _selects(info, info._raw_info.field_nodes, path)


def node_selects(info: Info, *path: str) -> bool:
    """For a connection field: whether its nodes select `path` (`nodes` or `edges.node`)."""
    return selects(info, "nodes", *path) or selects(info, "edges", "node", *path)
