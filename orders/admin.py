"""Orders in the Django admin, read-only for now.

Platform staff see every order. A cooperative manager sees the orders that
contain their cooperative's lines, and of each order only those lines and that
cooperative's shipping part — never what the buyer bought from someone else.
State changes come later as admin actions calling ``orders.services``.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from catalog.admin_scoping import (
    CooperativeScopedAdmin,
    ReadOnlyMixin,
    is_platform,
    managed_ids,
)

from .models import Order, OrderLine, OrderShipping


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # the parent OrderAdmin already decided who may open the order

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("cooperative")
        if is_platform(request.user):
            return qs
        return qs.filter(cooperative_id__in=managed_ids(request))


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = (
        "cooperative",
        "sku",
        "title",
        "unit_price",
        "quantity",
        "line_total",
    )


class OrderShippingInline(_ReadOnlyInline):
    model = OrderShipping
    fields = readonly_fields = ("cooperative", "goods_total", "weight_grams", "fee")
    verbose_name_plural = _("shipping")


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, CooperativeScopedAdmin):
    cooperative_path = "lines__cooperative"
    manager_can_add = False
    list_display = ("number", "status", "created", "expires_at", "buyer_city")
    list_filter = ("status",)
    search_fields = ("number",)
    date_hierarchy = "created"
    inlines = [OrderLineInline, OrderShippingInline]
    readonly_fields = (
        "number",
        "status",
        "created",
        "expires_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "completed_at",
        "cancelled_at",
        "address",
    )
    # The whole order's money only for platform staff: a manager's share is in the inlines.
    platform_fields = ("subtotal", "shipping_fee", "total", "user")

    def get_fields(self, request, obj=None):
        extra = self.platform_fields if is_platform(request.user) else ()
        return (*self.readonly_fields, *extra)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("shipping address"))
    def address(self, order: Order) -> str:
        a = order.shipping_address or {}
        lines = [
            " ".join(filter(None, [a.get("name", ""), a.get("phone", "")])),
            " ".join(filter(None, [a.get(k, "") for k in ("province", "city", "district")])),
            " ".join(filter(None, [a.get("address", ""), a.get("postcode", "")])),
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines if line))

    @admin.display(description=_("city"))
    def buyer_city(self, order: Order) -> str:
        return (order.shipping_address or {}).get("city", "")
