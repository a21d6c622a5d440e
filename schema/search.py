"""Search: Strawberry types, queries and mutations (Query, Mutation classes are picked up by schema/__init__.py)."""
