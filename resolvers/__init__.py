"""Behaviour: one module per domain.

resolvers.text is imported here so its search-key listeners are registered
before any resolver writes a contact or location.
"""

from resolvers import text as _text  # noqa: F401
