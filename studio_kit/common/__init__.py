"""The ground floor every part of studio_kit may import: the error family, UTC time, atomic files.

Nothing here imports anything else of studio_kit, so the screenplay model and the store can use it
without an arrow running upward (see the layering rule in the README).
"""

from .clock import utc_now
from .errors import Conflict, Forbidden, Invalid, NotFound, StudioError, Unavailable
from .files import atomic_path, atomic_write

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "StudioError", "Unavailable", "atomic_path",
           "atomic_write", "utc_now"]
