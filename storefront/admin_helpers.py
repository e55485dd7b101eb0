"""Admin building blocks every app's admin shares (no app import).

Records that services write (money, orders, shipments, events) are read-only in the
admin: a change goes through an action that calls a service, never a form's save."""

from __future__ import annotations


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
