"""exports_customers routes."""

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
