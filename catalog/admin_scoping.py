"""Cooperative scoping for the Django admin (every app's cooperative-scoped admin uses it).

Platform staff (superusers, ``is_platform_staff``) see everything. A cooperative
manager (staff, not superuser) sees and edits only rows that belong to the
cooperatives they manage: list views are filtered, foreign-key choices are
limited, and another cooperative's object URL finds nothing (Django then
redirects to the admin index, as for a missing object) — never its data.

A model admin says how its rows reach a cooperative with ``cooperative_path``
(e.g. ``"product__cooperative"``).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, QuerySet

from catalog.selectors import user_managed_cooperative_ids


def is_platform(user) -> bool:
    return bool(getattr(user, "is_platform", False))


def managed_ids(request) -> set[int]:
    return user_managed_cooperative_ids(request.user)


def scope_queryset(qs: QuerySet, request, cooperative_path: str) -> QuerySet:
    if is_platform(request.user):
        return qs
    ids = managed_ids(request)
    if cooperative_path == "self":
        return qs.filter(pk__in=ids)
    return qs.filter(**{f"{cooperative_path}__in": ids}).distinct()


class ScopedPermissionsMixin:
    """Permissions from membership, not Django's per-model permission table."""

    cooperative_path: str = "cooperative"
    manager_can_add = True
    manager_can_delete = False

    def _is_manager(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_staff and managed_ids(request))

    def _owns(self, request, obj: Model | None) -> bool:
        if obj is None:
            return True
        return scope_queryset(
            type(obj)._default_manager.filter(pk=obj.pk), request, self.cooperative_path
        ).exists()

    def has_module_permission(self, request):
        return is_platform(request.user) or self._is_manager(request)

    def has_view_permission(self, request, obj=None):
        if is_platform(request.user):
            return True
        return self._is_manager(request) and self._owns(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        if is_platform(request.user):
            return True
        return self.manager_can_add and self._is_manager(request)

    def has_delete_permission(self, request, obj=None):
        if is_platform(request.user):
            return True
        return self.manager_can_delete and self.has_view_permission(request, obj)


class _ScopedRows:
    """Rows and foreign-key choices limited to the manager's cooperatives."""

    # field name -> path from the related model to its cooperative ("self" for Cooperative)
    scoped_foreign_keys: dict[str, str] = {}

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request, self.cooperative_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = self.scoped_foreign_keys.get(db_field.name)
        if path and formfield is not None:
            formfield.queryset = scope_queryset(formfield.queryset, request, path)
        return formfield


class CooperativeScopedAdmin(_ScopedRows, ScopedPermissionsMixin, admin.ModelAdmin):
    """A ModelAdmin whose rows, choices and URLs are limited to the manager's cooperatives."""

    def get_list_filter(self, request):
        """A manager's cooperative filter offers their own cooperatives only (none for a
        one-cooperative manager: it would say nothing), never every cooperative."""
        filters = super().get_list_filter(request)
        if is_platform(request.user):
            return filters
        single = len(managed_ids(request)) <= 1
        scoped = []
        for item in filters:
            if isinstance(item, str) and item.split("__")[-1] == "cooperative":
                if not single:
                    scoped.append((item, admin.RelatedOnlyFieldListFilter))
            else:
                scoped.append(item)
        return scoped


class CooperativeScopedInline(_ScopedRows, ScopedPermissionsMixin):
    """Inline variant: the parent's scoping already applies; limit its FK choices too."""

    def _owns(self, request, obj: Model | None) -> bool:
        # Django asks an inline's permissions with the *parent* object: its path to the
        # cooperative is ours without the first hop ("product__cooperative" on a
        # variant inline -> "cooperative" on the product).
        if obj is not None and not isinstance(obj, self.model):
            rest = self.cooperative_path.partition("__")[2]
            return scope_queryset(
                type(obj)._default_manager.filter(pk=obj.pk), request, rest or "self"
            ).exists()
        return super()._owns(request, obj)
