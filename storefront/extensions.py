"""Hooks the project's settings wire in, so that a lower app can run code of higher ones
without importing them (the wiring names them: ``DEMO_EXTENSIONS``)."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string


def run_demo_extensions() -> dict:
    """Run every loader named in ``settings.DEMO_EXTENSIONS``; merge the counts they return."""
    counts: dict = {}
    for path in getattr(settings, "DEMO_EXTENSIONS", ()):
        counts.update(import_string(path)() or {})
    return counts
