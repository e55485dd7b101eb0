"""Admin of team offers, teams and pre-sales, scoped per cooperative: a manager sees and
creates only their own cooperative's (variant choices limited to its products);
platform staff see all. Teams and claims are read-only (checkout and the flows write
them). The pre-sale's conversion action is added by ``lifecycle.admin``."""

from __future__ import annotations

from django.contrib import admin

from catalog.admin_scoping import CooperativeScopedAdmin
from storefront.admin_helpers import ReadOnlyAdminMixin, ReadOnlyInlineMixin

from .models import PreSale, PreSaleOrder, Team, TeamMember, TeamOffer


@admin.register(TeamOffer)
class TeamOfferAdmin(CooperativeScopedAdmin):
    cooperative_path = "variant__product__cooperative"
    scoped_foreign_keys = {"variant": "product__cooperative"}
    list_display = (
        "variant",
        "team_price",
        "team_size",
        "time_to_fill",
        "stock_cap",
        "units_claimed",
        "is_active",
    )
    list_filter = ("is_active",)
    list_select_related = ("variant__product",)
    readonly_fields = ("units_claimed",)
    autocomplete_fields = ()

    def get_readonly_fields(self, request, obj=None):
        # The variant, price and size of a running offer are its teams' contract.
        if obj is not None:
            return ("variant", "team_price", "team_size", "units_claimed")
        return ("units_claimed",)


class TeamMemberInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TeamMember
    fields = ("user", "order", "paid_at", "released_at", "settled_at", "refund_key")
    readonly_fields = fields


@admin.register(Team)
class TeamAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "offer__variant__product__cooperative"
    list_display = ("id", "offer", "leader", "status", "seats_taken", "size", "deadline")
    list_filter = ("status",)
    list_select_related = ("offer__variant__product", "leader")
    inlines = [TeamMemberInline]


class PreSaleOrderInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = PreSaleOrder
    fields = ("order", "quantity", "outcome", "released_at", "refund_key")
    readonly_fields = fields


class PreSaleAdmin(CooperativeScopedAdmin):
    cooperative_path = "variant__product__cooperative"
    scoped_foreign_keys = {"variant": "product__cooperative"}
    list_display = ("title", "variant", "price", "quota", "sold", "closes_at", "ships_on", "status")
    list_filter = ("status",)
    list_select_related = ("variant__product",)
    readonly_fields = ("sold", "status", "converted_at", "shortfall")
    inlines = [PreSaleOrderInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.sold:
            return ("variant", "price", *self.readonly_fields)
        return self.readonly_fields


admin.site.register(PreSale, PreSaleAdmin)
