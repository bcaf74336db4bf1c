"""Prompt texts, kept as files so they can be read and changed without touching code."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.txt`` (shipped as package data)."""
    return resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
