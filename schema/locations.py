"""Locations: Strawberry types, queries and mutations (Query, Mutation classes are picked up by schema/__init__.py)."""

from __future__ import annotations

from strawberry import relay

from db import models
from schema.relay import model_type


# Minimal type so Order.location resolves on the orders branch; the customers
# branch owns this module and its full Location type replaces this one on merge.
@model_type(models.Location, description="A customer's store, site or branch.")
class Location(relay.Node):
    id: relay.NodeID[int]
    name: str
