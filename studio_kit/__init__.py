"""studio_kit: an open workbench for making films with AI."""

__version__ = "0.1.0"
