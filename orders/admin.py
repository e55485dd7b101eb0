"""Orders in the Django admin, read-only.

Platform staff see every order. A cooperative manager sees the orders that
contain their cooperative's lines, and of each order only those lines and that
cooperative's shipping part — never what the buyer bought from someone else.
Nothing is edited here: the services and flows change orders; a flow that needs a
person flags the order ("needs attention").
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.db.models import Prefetch
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from catalog.admin_scoping import CooperativeScopedAdmin, is_platform, managed_ids
from storefront.admin_helpers import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from storefront.templatetags.shop import money

from .models import Order, OrderLine, OrderShipping


class _ReadOnlyInline(ReadOnlyInlineMixin, admin.TabularInline):
    show_change_link = False

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
        "discount",
        "final_weight_grams",
        "final_amount",
        "weighed_by",
        "weighed_at",
    )


class OrderShippingInline(_ReadOnlyInline):
    model = OrderShipping
    fields = readonly_fields = ("cooperative", "goods_total", "weight_grams", "fee")
    verbose_name_plural = _("shipping")


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Orders a flow flagged for staff (``Order.attention``)."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(attention="")
        if self.value() == "no":
            return queryset.filter(attention="")
        return queryset


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "lines__cooperative"
    manager_can_add = False
    # What a manager looks for in the list: who, what, how much (their part of it).
    list_display = (
        "number",
        "status",
        "buyer",
        "items",
        "amount",
        "created",
        "buyer_city",
        "attention",
    )
    list_filter = ("status", NeedsAttentionFilter)
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
        "attention",
        "address",
    )
    # The whole order's money only for platform staff: a manager's share is in the inlines.
    platform_fields = ("subtotal", "shipping_fee", "total", "user")

    def get_fields(self, request, obj=None):
        extra = self.platform_fields if is_platform(request.user) else ()
        return (*self.readonly_fields, *extra)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        lines = OrderLine.objects.order_by("id")
        if not is_platform(request.user):
            lines = lines.filter(cooperative_id__in=managed_ids(request))
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("lines", queryset=lines, to_attr="shown_lines"))
        )

    @admin.display(description=_("buyer"))
    def buyer(self, order: Order) -> str:
        return (order.shipping_address or {}).get("name", "")

    @admin.display(description=_("items"))
    def items(self, order: Order) -> str:
        lines = getattr(order, "shown_lines", [])
        rows = format_html_join(
            "", "<li><bdi>{} × {}</bdi></li>", ((ln.title, ln.quantity) for ln in lines)
        )
        return format_html('<ul class="parcel-items">{}</ul>', rows)

    @admin.display(description=_("amount"))
    def amount(self, order: Order) -> str:
        """The goods shown: the whole order's for platform staff, a manager's own lines."""
        lines = getattr(order, "shown_lines", [])
        return money(sum((ln.line_total for ln in lines), Decimal("0.00")))

    @admin.display(description=_("shipping address"))
    def address(self, order: Order) -> str:
        return format_html_join(
            mark_safe("<br>"), "{}", ((line,) for line in order.address_lines())
        )

    @admin.display(description=_("city"))
    def buyer_city(self, order: Order) -> str:
        return (order.shipping_address or {}).get("city", "")
