"""Errors a writer or producer can act on: each names the file, the line and what to do."""

from __future__ import annotations

from ..common.errors import Invalid


class ScreenplayError(Invalid):
    """A screenplay could not be read. ``str()`` reads ``file:line: message``."""

    def __init__(self, message: str, source: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source
            if self.line:
                where += f":{self.line}"
            where += ": "
        elif self.line:
            where = f"line {self.line}: "
        return where + self.message


class EmptyScriptError(ScreenplayError):
    """The file holds no screenplay text at all."""


class EncodingError(ScreenplayError):
    """The bytes are not text in the expected encoding (or not text at all)."""


class UnterminatedError(ScreenplayError):
    """A boneyard ``/*`` or note ``[[`` opened and never closed."""


class ScriptTooLargeError(ScreenplayError):
    """The file is larger than the configured limit."""
