"""One family for every error the studio raises on purpose.

Why one root: every door (HTTP API, CLI, notebooks, dashboards) can tell a refusal it should show
the user (a :class:`StudioError`, whose message names the file, field or object and what to do)
from a bug (anything else: a 500 with an error id in the API, a traceback in the CLI). Each
engine's own errors derive from one of the kinds below, never from a bare ``ValueError``.

The kinds also derive from the matching built-in (``Invalid`` is a ``ValueError``, ``NotFound`` a
``LookupError``, ``Forbidden`` a ``PermissionError``) so plain Python callers keep working.
"""

from __future__ import annotations


class StudioError(Exception):
    """The root: something the user (or their input) can act on."""


class NotFound(StudioError, LookupError):
    """The object asked for does not exist here (or the caller may not know that it exists)."""

    def __str__(self) -> str:  # LookupError's KeyError cousin quotes its message; this one does not
        return str(self.args[0]) if self.args else ""


class Invalid(StudioError, ValueError):
    """The input is wrong: a field, a file or an option; the message names it and the fix."""


class Forbidden(StudioError, PermissionError):
    """The caller may not do this here; the message says which action, where and why."""


class Conflict(StudioError):
    """The request is fine but the state does not allow it now (read-only store, locked version,
    duplicate, an immutable record)."""


class Unavailable(StudioError):
    """A service the operation needs is not there or did not start (a Ray cluster, a model
    endpoint); trying again later, or elsewhere, may work."""


__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "StudioError", "Unavailable"]
