"""Admin for payments: payments, the inbox (with rejections), refunds, the ledger per
cooperative (read-only), cooperative balances and payouts.

Nothing here changes money directly: actions call services. Cooperative managers see
their cooperatives' rows only; creating and exporting payouts is platform staff's.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.admin_scoping import CooperativeScopedAdmin, ReadOnlyMixin, is_platform
from storefront.errors import ApplicationError

from . import services
from .models import (
    CooperativeBalance,
    LedgerEntry,
    Payment,
    PaymentNotification,
    Payout,
    Refund,
)
from .providers import ProviderError, ProviderUnavailable
from .selectors import cooperatives_with_balances


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, CooperativeScopedAdmin):
    cooperative_path = "order__lines__cooperative"
    list_display = ["out_trade_no", "order", "provider", "amount", "status", "created"]
    list_filter = ["provider", "status", "finished"]
    search_fields = ["out_trade_no", "order__number", "provider_trade_no"]
    list_select_related = ["order"]
    date_hierarchy = "created"
    actions = ["refund_payments"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_platform(request.user):
            actions.pop("refund_payments", None)
        return actions

    @admin.action(description=_("Refund selected payments (late or duplicate payments)"))
    def refund_payments(self, request, queryset):
        for payment in queryset:
            try:
                refund = services.payment_refund_start(payment=payment, reason="refunded by staff")
            except ApplicationError as exc:
                self.message_user(request, f"{payment}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{payment}: refund {refund.out_refund_no} started")


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyMixin, CooperativeScopedAdmin):
    cooperative_path = "payment__order__lines__cooperative"
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


@admin.register(Refund)
class RefundAdmin(ReadOnlyMixin, CooperativeScopedAdmin):
    cooperative_path = "payment__order__lines__cooperative"
    list_display = ["out_refund_no", "payment", "amount", "status", "reason", "created"]
    list_filter = ["status"]
    search_fields = ["out_refund_no", "payment__out_trade_no", "payment__order__number"]
    list_select_related = ["payment"]
    actions = ["submit_again"]

    @admin.action(description=_("Submit selected pending refunds to the provider again"))
    def submit_again(self, request, queryset):
        for refund in queryset:
            try:
                refund = services.refund_submit(refund_id=refund.pk)
            except (ProviderError, ProviderUnavailable) as exc:
                self.message_user(request, f"{refund}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{refund.out_refund_no}: {refund.status}")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyMixin, CooperativeScopedAdmin):
    cooperative_path = "cooperative"
    list_display = ["created", "cooperative", "account", "kind", "amount", "order", "memo"]
    list_filter = ["account", "kind", "cooperative"]
    search_fields = ["order__number", "memo"]
    list_select_related = ["cooperative", "order"]
    date_hierarchy = "created"


@admin.register(CooperativeBalance)
class CooperativeBalanceAdmin(ReadOnlyMixin, CooperativeScopedAdmin):
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

    @admin.display(description=_("pending"), ordering="balance_pending")
    def pending(self, obj):
        return obj.balance_pending

    @admin.display(description=_("available"), ordering="balance_available")
    def available(self, obj):
        return obj.balance_available

    @admin.display(description=_("paid out"))
    def paid_out(self, obj):
        return -obj.balance_payouts + 0

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
class PayoutAdmin(ReadOnlyMixin, CooperativeScopedAdmin):
    cooperative_path = "cooperative"
    list_display = ["reference", "cooperative", "amount", "status", "created", "exported_at"]
    list_filter = ["status"]
    list_select_related = ["cooperative"]
    actions = ["export_csv"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_platform(request.user):
            actions.pop("export_csv", None)
        return actions

    @admin.action(description=_("Export selected payouts as CSV for the bank transfer"))
    def export_csv(self, request, queryset):
        text = services.payouts_export(payout_ids=list(queryset.values_list("pk", flat=True)))
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        name = f"farmgate-payouts-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
