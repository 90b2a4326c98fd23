"""Fountain emphasis (``*italic*``, ``**bold**``, ``***both***``, ``_underline_``, ``\\*`` escapes).

One scanner for every reader of emphasis (the paginator and PDF, Final Draft export), so they
can never disagree about what is styled. A marker counts only if the same marker closes it
later in the text; styles are reported in the order they were opened, so ``**_x_**`` and
``_**x**_`` can be written back as they were.
"""

from __future__ import annotations

StyledText = tuple[str, tuple[str, ...]]  # (text, styles in the order they were opened)

_MARKS = ("***", "**", "*", "_")
_MARK_STYLES = {"***": ("Bold", "Italic"), "**": ("Bold",), "*": ("Italic",), "_": ("Underline",)}


def scan_emphasis(text: str) -> list[StyledText]:
    """Split ``text`` into runs of (visible text, active styles)."""
    runs: list[StyledText] = []
    active: list[str] = []
    stack: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "*_\\":
            buf.append(text[i + 1])
            i += 2
            continue
        if ch in "*_":
            mark = next(m for m in _MARKS if text.startswith(m, i))
            closing = bool(stack) and stack[-1] == mark
            if closing or text.find(mark, i + len(mark)) > i + len(mark):
                if buf:
                    runs.append(("".join(buf), tuple(active)))
                    buf.clear()
                if closing:
                    stack.pop()
                else:
                    stack.append(mark)
                for style in _MARK_STYLES[mark]:
                    if style in active:
                        active.remove(style)
                    else:
                        active.append(style)
                i += len(mark)
                continue
        buf.append(ch)
        i += 1
    if buf:
        runs.append(("".join(buf), tuple(active)))
    return runs
