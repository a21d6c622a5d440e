"""exports_orders routes."""

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
