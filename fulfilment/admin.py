"""Fulfilment admin: a cooperative manager's "to pack" list, packing, shipping and slips.

Scoped by cooperative (``catalog.admin_scoping``): a manager sees and acts on only
their cooperatives' shipments; every state change goes through ``fulfilment.services``,
which checks the same scoping again (another cooperative's shipment is not found).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.admin_scoping import (
    CooperativeScopedAdmin,
    CooperativeScopedInline,
    is_platform,
    managed_ids,
)
from storefront.admin_helpers import ReadOnlyAdminMixin, ReadOnlyInlineMixin, admin_bulk_run
from storefront.errors import ApplicationError

from . import services
from .constants import AWAITING_HANDOVER, DeliveredBy, ShipmentStatus
from .models import Carrier, CarrierEvent, Shipment, ShipmentLine, TrackingEvent


class PlatformOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return is_platform(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform(request.user)

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Carrier)
class CarrierAdmin(PlatformOnlyAdmin):
    list_display = ("name", "code", "is_active", "tracking_url_template")
    list_filter = ("is_active",)


@admin.register(CarrierEvent)
class CarrierEventAdmin(ReadOnlyAdminMixin, PlatformOnlyAdmin):
    list_display = ("event_id", "carrier", "tracking_number", "status", "shipment", "received_at")
    list_filter = ("carrier", "status")
    search_fields = ("event_id", "tracking_number")
    list_select_related = ("carrier", "shipment__order", "shipment__cooperative")
    readonly_fields = [f.name for f in CarrierEvent._meta.fields]


class ToPackFilter(admin.SimpleListFilter):
    """Opens on the "to pack" list: what a manager has to do today."""

    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("to_pack", _("To pack (pending or packed)")),
            *ShipmentStatus.choices,
            ("all", _("All")),
        ]

    def choices(self, changelist):
        value = self.value() or "to_pack"
        for key, label in self.lookup_choices:
            yield {
                "selected": value == key,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "to_pack"
        if value == "to_pack":
            return queryset.filter(status__in=AWAITING_HANDOVER)
        if value in ShipmentStatus.values:
            return queryset.filter(status=value)
        return queryset


class ShipmentLineInline(ReadOnlyInlineMixin, CooperativeScopedInline, admin.TabularInline):
    model = ShipmentLine
    cooperative_path = "shipment__cooperative"
    fields = ("sku", "title", "quantity", "batch")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line", "batch")

    @admin.display(description=_("SKU"))
    def sku(self, line):
        return line.order_line.sku

    @admin.display(description=_("item"))
    def title(self, line):
        return line.order_line.title

    @admin.display(description=_("quantity"))
    def quantity(self, line):
        return line.order_line.quantity


class TrackingEventInline(ReadOnlyInlineMixin, CooperativeScopedInline, admin.TabularInline):
    model = TrackingEvent
    cooperative_path = "shipment__cooperative"
    fields = ("at", "status_label", "note")
    readonly_fields = fields

    @admin.display(description=_("status"))
    def status_label(self, event):
        return event.status_label


class ShipForm(forms.Form):
    carrier = forms.ModelChoiceField(
        queryset=Carrier.objects.filter(is_active=True), label=_("carrier"), to_field_name="code"
    )
    tracking_number = forms.CharField(label=_("tracking number"), max_length=40)


@admin.register(Shipment)
class ShipmentAdmin(CooperativeScopedAdmin):
    cooperative_path = "cooperative"
    manager_can_add = False
    # The buttons second: at 1280 px with the sidebar open they are never off-screen.
    list_display = (
        "order_number",
        "tools",
        "items",
        "status",
        "ship_to_place",
        "cooperative",
        "carrier",
        "tracking_number",
        "created",
    )
    list_filter = (ToPackFilter, "carrier")
    search_fields = ("order__number", "tracking_number")
    list_select_related = ("order", "cooperative", "carrier")
    list_per_page = 50
    ordering = ("created", "id")
    actions = ("mark_packed", "mark_delivered")
    fields = (
        "order",
        "cooperative",
        "status",
        "carrier",
        "tracking_number",
        "ship_to",
        "tools",
        "created",
        "packed_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
    )
    readonly_fields = fields
    inlines = (ShipmentLineInline, TrackingEventInline)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing on a parcel is edited as a form (no "save" buttons): it moves by the
        # row's buttons and actions, each a service call that checks the scoping again.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines__order_line")

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if not is_platform(request.user) and len(managed_ids(request)) <= 1:
            shown.remove("cooperative")  # one cooperative: the column says nothing
        return shown

    @admin.display(description=_("items"))
    def items(self, shipment):
        lines = [f"{ln.order_line.title} × {ln.order_line.quantity}" for ln in shipment.lines.all()]
        items = format_html_join("", "<li><bdi>{}</bdi></li>", ((line,) for line in lines))
        return format_html('<ul class="parcel-items">{}</ul>', items)

    @admin.display(description=_("ship to"))
    def ship_to_place(self, shipment):
        lines = shipment.order.address_lines()  # recipient; province city district; street
        return lines[1] if len(lines) > 1 else "".join(lines)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("order"), ordering="order__number")
    def order_number(self, shipment):
        return shipment.order.number

    @admin.display(description=_("ship to"))
    def ship_to(self, shipment):
        return " · ".join(shipment.order.address_lines())

    @admin.display(description=_("actions"))
    def tools(self, shipment):
        """The row's buttons: packed (a POST from the list's own form), ship, slip."""
        parts = []
        if shipment.status == ShipmentStatus.PENDING:
            parts.append(
                format_html(
                    '<button type="submit" class="button" formaction="{}" formmethod="post">'
                    "{}</button>",
                    reverse("admin:fulfilment_shipment_pack", args=[shipment.pk]),
                    _("Packed"),
                )
            )
        if shipment.status in AWAITING_HANDOVER:
            parts.append(
                format_html(
                    '<a class="button default" href="{}">{}</a>',
                    reverse("admin:fulfilment_shipment_ship", args=[shipment.pk]),
                    _("Ship"),
                )
            )
        parts.append(
            format_html(
                '<a href="{}" target="_blank">{}</a>',
                reverse("admin:fulfilment_shipment_slip", args=[shipment.pk]),
                _("Packing slip"),
            )
        )
        joined = format_html_join(" ", "{}", ((part,) for part in parts))
        return format_html('<span class="row-tools">{}</span>', joined)

    # ------------------------------------------------------------------ actions

    def _run(self, request, queryset, fn, done_message, **kwargs):
        admin_bulk_run(
            self,
            request,
            queryset.order_by("pk").values_list("pk", flat=True),
            lambda shipment_id: fn(shipment_id=shipment_id, actor=request.user, **kwargs),
            done_message,
            label=lambda shipment_id: f"#{shipment_id}",
            error=lambda exc: gettext(exc.message),
        )

    @admin.action(description=_("Mark selected shipments packed"))
    def mark_packed(self, request, queryset):
        self._run(request, queryset, services.shipment_mark_packed, _("%(n)d shipment(s) packed."))

    @admin.action(description=_("Mark selected shipments delivered"))
    def mark_delivered(self, request, queryset):
        self._run(
            request,
            queryset,
            services.shipment_mark_delivered,
            _("%(n)d shipment(s) delivered."),
            by=DeliveredBy.COOPERATIVE,
        )

    # -------------------------------------------------------------- extra views

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<id:pk>/ship/", wrap(self.ship_view), name="fulfilment_shipment_ship"),
            path("<id:pk>/pack/", wrap(self.pack_view), name="fulfilment_shipment_pack"),
            path("<id:pk>/slip/", wrap(self.slip_view), name="fulfilment_shipment_slip"),
            *super().get_urls(),
        ]

    def _get_scoped(self, request, pk: int) -> Shipment:
        # Another cooperative's shipment is outside get_queryset: a plain 404.
        shipment = self.get_queryset(request).filter(pk=pk).first()
        if shipment is None or not self.has_view_permission(request, shipment):
            raise Http404
        return shipment

    def pack_view(self, request, pk: int):
        """POST: the row's "packed" button; back to the list the person was on."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        shipment = self._get_scoped(request, pk)
        try:
            services.shipment_mark_packed(shipment_id=shipment.pk, actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, gettext(exc.message), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Order %(number)s packed.") % {"number": shipment.order.number},
                messages.SUCCESS,
            )
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:fulfilment_shipment_changelist")
        return HttpResponseRedirect(back)

    def ship_view(self, request, pk: int):
        shipment = self._get_scoped(request, pk)
        form = ShipForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.shipment_mark_shipped(
                    shipment_id=shipment.pk,
                    carrier=form.cleaned_data["carrier"],
                    tracking_number=form.cleaned_data["tracking_number"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                # Service messages are English msgids (the API's); show them translated.
                form.add_error(None, gettext(exc.message))
            else:
                self.message_user(request, _("Shipment marked shipped."), messages.SUCCESS)
                # Back to the to-pack list: the next parcel is the next thing to do.
                return HttpResponseRedirect(reverse("admin:fulfilment_shipment_changelist"))
        return render(
            request,
            "admin/fulfilment/shipment/ship.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Ship %(shipment)s") % {"shipment": shipment},
                "form": form,
                "shipment": shipment,
                "opts": self.model._meta,
            },
        )

    def slip_view(self, request, pk: int):
        shipment = self._get_scoped(request, pk)
        if not shipment.packing_slip:
            # The worker has not rendered it yet (or the queue is down): render it now.
            services.shipment_render_packing_slip(shipment_id=shipment.pk)
            shipment.refresh_from_db()
        return FileResponse(
            shipment.packing_slip.open("rb"),
            content_type="application/pdf",
            filename=f"packing-slip-{shipment.order.number}.pdf",
        )
