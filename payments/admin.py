"""Admin for payments: payments, the inbox (with rejections), refunds, the ledger per
cooperative (read-only), cooperative balances and payouts.

Nothing here changes money directly: actions call services. Cooperative managers see
their cooperatives' rows only; creating and exporting payouts is platform staff's.
The refund actions, which carry a completed refund to the order, are registered by
``lifecycle.admin``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.admin_scoping import CooperativeScopedAdmin, is_platform, managed_ids
from storefront.admin_helpers import ReadOnlyAdminMixin
from storefront.errors import ApplicationError
from storefront.templatetags.shop import money

from . import services
from .models import (
    CooperativeBalance,
    LedgerEntry,
    Payment,
    PaymentNotification,
    Payout,
    Receivable,
    Refund,
)
from .selectors import cooperatives_with_balances, with_cooperative_share


class CooperativeShareMixin:
    """What a cooperative manager sees of money that covers a whole order.

    A payment (and its notifications and refunds) is for the whole order, other
    cooperatives' goods included. Platform staff see it all. A manager sees, in the list
    and on the page, their cooperatives' share (``selectors.with_cooperative_share``)
    in place of ``amount``, and never the fields in ``platform_only``: the providers'
    raw bodies and payloads, which carry the whole amount and more.
    """

    order_field = "order"
    platform_only: tuple[str, ...] = ()

    def _hidden(self) -> set[str]:
        return {"amount", *self.platform_only}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_platform(request.user):
            return queryset
        return with_cooperative_share(
            queryset, order_field=self.order_field, cooperative_ids=managed_ids(request)
        )

    def get_list_display(self, request):
        fields = super().get_list_display(request)
        if is_platform(request.user):
            return fields
        hidden = set(self.platform_only)
        return ["cooperative_share" if f == "amount" else f for f in fields if f not in hidden]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if is_platform(request.user):
            return fields
        return [f for f in fields if f not in self._hidden()] + ["cooperative_share"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if is_platform(request.user):
            return fields
        return [*fields, "cooperative_share"]

    @admin.display(description=_("your cooperatives' share"))
    def cooperative_share(self, obj):
        return getattr(obj, "cooperative_share", None)


@admin.register(Payment)
class PaymentAdmin(CooperativeShareMixin, ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "order__lines__cooperative"
    platform_only = ("client_payload",)
    list_display = ["out_trade_no", "order", "provider", "amount", "status", "created"]
    list_filter = ["provider", "status", "finished"]
    search_fields = ["out_trade_no", "order__number", "provider_trade_no"]
    list_select_related = ["order"]
    date_hierarchy = "created"


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(CooperativeShareMixin, ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "payment__order__lines__cooperative"
    order_field = "payment__order"
    platform_only = ("refund_amount", "payload", "raw_body")
    list_display = [
        "received_at",
        "provider",
        "event_id",
        "kind",
        "event_status",
        "out_trade_no",
        "amount",
        "status",
        "reason",
    ]
    list_filter = ["status", "provider", "kind"]
    search_fields = ["event_id", "out_trade_no", "reason"]
    date_hierarchy = "received_at"

    # The providers' callback inbox is a technical record for platform staff; a manager
    # reads the same money as payments and refunds (issue 18).
    def has_module_permission(self, request):
        return is_platform(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform(request.user) and super().has_view_permission(request, obj)


@admin.register(Refund)
class RefundAdmin(CooperativeShareMixin, ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "payment__order__lines__cooperative"
    order_field = "payment__order"
    platform_only = ("provider_response",)
    list_display = ["out_refund_no", "payment", "amount", "key", "status", "reason", "created"]
    list_filter = ["status"]
    search_fields = ["out_refund_no", "payment__out_trade_no", "payment__order__number"]
    list_select_related = ["payment"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "cooperative"
    list_display = ["created", "cooperative", "account", "kind", "amount_shown", "order", "memo"]
    list_filter = ["account", "kind", "cooperative"]
    search_fields = ["order__number", "memo", "document"]
    list_select_related = ["cooperative", "order"]
    date_hierarchy = "created"

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, entry):
        return money(entry.amount)


@admin.register(Receivable)
class ReceivableAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    """What business buyers owe on invoices; each balance is the sum of its entries."""

    cooperative_path = "cooperative"
    list_display = ["reference", "cooperative", "debtor", "due_on", "balance_shown", "created"]
    list_filter = ["cooperative", "due_on"]
    search_fields = ["reference", "debtor"]
    list_select_related = ["cooperative"]

    def get_queryset(self, request):
        balance = services.receivable_balance_expression()
        return super().get_queryset(request).annotate(balance=balance)

    @admin.display(description=_("balance"), ordering="balance")
    def balance_shown(self, receivable):
        return money(receivable.balance)


@admin.register(CooperativeBalance)
class CooperativeBalanceAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "self"
    list_display = ["name", "county", "pending", "available", "paid_out", "ledger"]
    search_fields = ["name", "slug"]
    list_select_related = ["county"]
    actions = ["create_payouts"]

    def get_queryset(self, request):
        return cooperatives_with_balances(super().get_queryset(request))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_platform(request.user):
            actions.pop("create_payouts", None)
        return actions

    # Amounts with the currency ("¥109.50"), not a bare "109.5".
    @admin.display(description=_("pending"), ordering="balance_pending")
    def pending(self, obj):
        return money(obj.balance_pending)

    @admin.display(description=_("available"), ordering="balance_available")
    def available(self, obj):
        return money(obj.balance_available)

    @admin.display(description=_("paid out"))
    def paid_out(self, obj):
        return money(-obj.balance_payouts + 0)

    @admin.display(description=_("ledger"))
    def ledger(self, obj):
        url = reverse("admin:payments_ledgerentry_changelist") + f"?cooperative__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("entries"))

    @admin.action(description=_("Create a payout of the available balance"))
    def create_payouts(self, request, queryset):
        for cooperative in queryset.order_by("pk"):
            try:
                payout = services.payout_create(cooperative=cooperative, created_by=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{cooperative}: {exc.message}", messages.WARNING)
            else:
                self.message_user(
                    request, f"{cooperative}: payout {payout.reference} {payout.amount}"
                )


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "cooperative"
    list_display = ["reference", "cooperative", "amount_shown", "status", "created", "exported_at"]
    list_filter = ["status"]
    list_select_related = ["cooperative"]
    actions = ["export_csv"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_platform(request.user):
            actions.pop("export_csv", None)
        return actions

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, payout):
        return money(payout.amount)

    @admin.action(description=_("Export selected payouts as CSV for the bank transfer"))
    def export_csv(self, request, queryset):
        text = services.payouts_export(payout_ids=list(queryset.values_list("pk", flat=True)))
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        name = f"farmgate-payouts-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
