"""Admin building blocks every app's admin shares (no app import).

Records that services write (money, orders, shipments, events) are read-only in the
admin: a change goes through an action that calls a service, never a form's save."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages

from .errors import ApplicationError


class ReadOnlyAdminMixin:
    """No add, change or delete: the rows are written by services only."""

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    """A read-only inline: no extra blank rows, no delete box."""

    extra = 0
    can_delete = False


def admin_bulk_run(
    model_admin,
    request,
    items: Iterable[Any],
    act: Callable[[Any], object],
    done_message: str,
    *,
    label: Callable[[Any], str] = str,
    error: Callable[[ApplicationError], str],
) -> int:
    """An admin action over the selected rows: ``act(item)`` for each, every refusal
    flashed as "label: error", then ``done_message % {"n": done}`` when any was done.
    Returns how many were done."""
    done = 0
    for item in items:
        try:
            act(item)
            done += 1
        except ApplicationError as exc:
            model_admin.message_user(request, f"{label(item)}: {error(exc)}", messages.ERROR)
    if done:
        model_admin.message_user(request, done_message % {"n": done}, messages.SUCCESS)
    return done
