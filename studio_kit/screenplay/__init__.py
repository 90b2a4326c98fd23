"""The screenplay model: Fountain and Final Draft in and out, industry pagination and page
eighths, PDF, scenes, statistics and version diff. Pure: imports only studio_kit.common.

    from studio_kit.screenplay import load_script, analyze
    a = analyze(load_script("night_train.fountain"))
    a.pagination.page_count, a.scenes[0].eighths, a.stats.dialogue_share
"""

from .analysis import ScriptAnalysis, analyze, load_script
from .errors import ScreenplayError
from .fountain import parse_fountain, read_fountain
from .model import Element, ElementType, Scene, Screenplay, TitlePage, format_eighths
from .pagination import A4, LETTER, Layout, layout_for, paginate

__all__ = [
    "A4", "LETTER", "Element", "ElementType", "Layout", "Scene", "ScreenplayError", "Screenplay", "ScriptAnalysis",
    "TitlePage", "analyze", "format_eighths", "layout_for", "load_script", "paginate", "parse_fountain",
    "read_fountain",
]
