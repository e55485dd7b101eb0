"""Stores and stations in the admin: platform staff see all; a county manager (staff,
``CountyManager`` row) sees and edits only their counties' places and their orders."""

from __future__ import annotations

from django.contrib import admin

from catalog.admin_scoping import is_platform

from .models import ChannelOrder, CountyManager, Place, StoreCashEntry


def managed_county_ids(user) -> set[int]:
    if not (user.is_active and user.is_staff):
        return set()
    return set(CountyManager.objects.filter(user=user).values_list("county_id", flat=True))


class _CountyScoped:
    county_path = "county"

    def _counties(self, request) -> set[int]:
        # Once per request: the admin asks every model of the sidebar.
        cached = getattr(request, "_channels_county_ids", None)
        if cached is None:
            cached = request._channels_county_ids = managed_county_ids(request.user)
        return cached

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_platform(request.user):
            return qs
        return qs.filter(**{f"{self.county_path}__in": self._counties(request)})

    def has_module_permission(self, request):
        return is_platform(request.user) or bool(self._counties(request))

    def has_view_permission(self, request, obj=None):
        if is_platform(request.user):
            return True
        if not self._counties(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_platform(request.user) or bool(self._counties(request))

    def has_delete_permission(self, request, obj=None):
        return is_platform(request.user)


@admin.register(Place)
class PlaceAdmin(_CountyScoped, admin.ModelAdmin):
    list_display = ("name", "kind", "county", "is_pickup_point", "commission_bp", "active")
    list_filter = ("kind", "is_pickup_point", "active")
    search_fields = ("name", "slug", "address")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("agents", "managers")
    autocomplete_fields = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "county" and not is_platform(request.user) and formfield:
            formfield.queryset = formfield.queryset.filter(pk__in=self._counties(request))
        return formfield


@admin.register(ChannelOrder)
class ChannelOrderAdmin(_CountyScoped, admin.ModelAdmin):
    county_path = "place__county"
    list_display = ("order", "place", "agent", "villager_name", "ready_at", "collected_at")
    list_filter = ("place",)
    search_fields = ("order__number", "villager_name", "villager_phone")
    list_select_related = ("order", "place", "agent")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StoreCashEntry)
class StoreCashEntryAdmin(_CountyScoped, admin.ModelAdmin):
    """The stores' cash ledger, read-only (clerks close their day and store managers
    confirm the handover through the channels API)."""

    county_path = "place__county"
    list_display = ("day", "place", "clerk", "kind", "amount", "payments", "recorded_by")
    list_filter = ("kind", "place")
    date_hierarchy = "day"
    list_select_related = ("place", "clerk", "recorded_by")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CountyManager)
class CountyManagerAdmin(admin.ModelAdmin):
    list_display = ("user", "county")
    autocomplete_fields = ("user",)

    def has_module_permission(self, request):
        return is_platform(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform(request.user)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission
