"""The station agent's and the store clerk's API (under /api/v1/channels/<place>/).

Thin: parse, call one flow in ``lifecycle.services.channels`` or a selector in
``channels.selectors``, render. Every endpoint needs a signed-in agent of the place;
an agent sees only the orders they placed."""

from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from channels import selectors as channel_selectors
from channels import services as channel_services
from channels.constants import PlaceKind
from orders.api.serializers import IDEMPOTENCY_KEY_HELP
from storefront.api.schema import ERROR_400, ERROR_401, error_response
from storefront.errors import InvalidInput, NotFound
from storefront.qr import qr_svg

from ..services import channels as flows

ERROR_403_AGENT = error_response("`not_an_agent`: you are not an agent of this place.")
ERROR_404_PLACE = error_response("`place_not_found` or `not_found` (not an order you placed).")


class LineSerializer(serializers.Serializer):
    variant = serializers.IntegerField()
    quantity = serializers.IntegerField()


class VillagerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=32)


class ChannelOrderInputSerializer(serializers.Serializer):
    lines = LineSerializer(many=True)
    villager = VillagerSerializer(required=False, help_text="Station orders only.")


class ChannelLineSerializer(serializers.Serializer):
    title = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)


class ChannelOrderSerializer(serializers.Serializer):
    number = serializers.CharField(source="order.number")
    status = serializers.CharField(source="order.status")
    status_display = serializers.CharField(source="order.get_status_display")
    channel = serializers.CharField(source="order.channel")
    total = serializers.DecimalField(source="order.total", max_digits=12, decimal_places=2)
    shipping_fee = serializers.DecimalField(
        source="order.shipping_fee", max_digits=10, decimal_places=2
    )
    villager_name = serializers.CharField(
        help_text="The villager's name, or the buyer's contact on a buyer's pickup order."
    )
    buyer_pickup = serializers.SerializerMethodField(
        help_text="A buyer's own order to collect here (placed online, not by an agent)."
    )
    pickup_code = serializers.CharField()
    ready_at = serializers.DateTimeField(allow_null=True)
    collected_at = serializers.DateTimeField(allow_null=True)
    flagged_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    lines = serializers.SerializerMethodField()

    def get_buyer_pickup(self, row) -> bool:
        return row.agent_id is None

    def get_lines(self, row) -> list[dict]:
        return ChannelLineSerializer(row.order.lines.all(), many=True).data


class VariantFoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    title = serializers.CharField(source="product.title")
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    stock = serializers.IntegerField()


class CashLineSerializer(serializers.Serializer):
    clerk = serializers.CharField()
    cash = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The clerk's cash payments that day."
    )
    closed = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="The cash the clerk's close entered in the store's cash ledger (null: "
        "the day is not closed).",
    )
    handed_over = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="What the store manager confirmed handed over (null: not yet).",
    )
    balanced = serializers.BooleanField(help_text="Closed, and equal to `cash` to the fen.")


class CashReportSerializer(serializers.Serializer):
    day = serializers.DateField()
    clerks = CashLineSerializer(many=True)
    to_hand_over = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="The store's cash ledger balance: closed by clerks, not yet handed over.",
    )
    commission = serializers.DecimalField(max_digits=12, decimal_places=2)


class CashDayInputSerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="Default: today.")


class CashHandoverInputSerializer(serializers.Serializer):
    clerk = serializers.CharField(max_length=150, help_text="The clerk's username.")
    day = serializers.DateField()


class CashEntrySerializer(serializers.Serializer):
    clerk = serializers.CharField(source="clerk.username")
    day = serializers.DateField()
    kind = serializers.ChoiceField(choices=["taken", "handed_over"])
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Taken: positive; handed over: negative."
    )
    payments = serializers.IntegerField(help_text="How many cash payments it covers.")
    recorded_by = serializers.CharField(source="recorded_by.username")
    created = serializers.DateTimeField()


class PickupInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12)


class WalletPaySerializer(serializers.Serializer):
    pay_url = serializers.CharField()
    qr_svg = serializers.CharField(help_text="The pay link as a QR code (SVG) to show on screen.")


def _row(request, slug: str, number: str, *, own_only: bool = False):
    """The order ``number`` if this agent placed it at this place, or (unless
    ``own_only``) a buyer's own order to collect here (else 403/404)."""
    place = channel_services.place_for_agent(slug=slug, user=request.user)
    row = (
        channel_selectors.channel_orders_of_agent(user=request.user, place=place, own_only=own_only)
        .filter(order__number=number)
        .first()
    )
    if row is None:
        raise NotFound(details={"number": number})
    return row


def _order_out(request, slug: str, number: str, code=status.HTTP_200_OK, headers=None):
    return Response(
        ChannelOrderSerializer(_row(request, slug, number)).data, status=code, headers=headers
    )


class _AgentView(APIView):
    permission_classes = [permissions.IsAuthenticated]


class ChannelOrdersView(_AgentView):
    @extend_schema(
        operation_id="channels_orders_list",
        responses={
            200: ChannelOrderSerializer(many=True),
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
        },
        tags=["channels"],
        description="The orders this agent placed at this place and the buyers' own orders "
        "to collect here (`buyer_pickup`), newest first (at most 50).",
    )
    def get(self, request, slug: str):
        place = channel_services.place_for_agent(slug=slug, user=request.user)
        rows = channel_selectors.channel_orders_of_agent(user=request.user, place=place)
        rows = rows.prefetch_related("order__lines")[:50]
        return Response(ChannelOrderSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="channels_orders_create",
        request=ChannelOrderInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=IDEMPOTENCY_KEY_HELP
                + " The counter and station pages generate one per submission, so a resend "
                "after a lost answer returns the first order.",
            )
        ],
        responses={
            201: OpenApiResponse(ChannelOrderSerializer, description="The new order."),
            200: OpenApiResponse(
                ChannelOrderSerializer,
                description="A resend with the same Idempotency-Key: the first order "
                "(header `Idempotent-Replayed: true`).",
            ),
            400: error_response(
                "`invalid`: bad lines, a missing villager name, a bad phone (details.phone)."
            ),
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
            409: error_response("`insufficient_stock` or `idempotency_conflict`."),
        },
        tags=["channels"],
        description="A station order for a walk-in villager (delivered to the station, "
        "collected with its pickup code) or a counter sale (no shipping).",
    )
    def post(self, request, slug: str):
        data = ChannelOrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        place = channel_services.place_for_agent(slug=slug, user=request.user)
        lines = [dict(line) for line in data.validated_data["lines"]]
        key = request.headers.get("Idempotency-Key")
        if place.kind == PlaceKind.STATION:
            villager = data.validated_data.get("villager")
            if not villager:
                raise InvalidInput(details={"villager": ["Enter the villager's name and phone."]})
            order, created = flows.station_order_place(
                agent=request.user,
                place_slug=slug,
                villager_name=villager["name"],
                villager_phone=villager["phone"],
                lines=lines,
                idempotency_key=key,
            )
        else:
            order, created = flows.counter_sale_place(
                clerk=request.user, place_slug=slug, lines=lines, idempotency_key=key
            )
        if created:
            return _order_out(request, slug, order.number, status.HTTP_201_CREATED)
        return _order_out(request, slug, order.number, headers={"Idempotent-Replayed": "true"})


def _action_schema(operation_id: str, description: str, request=None, extra=None):
    return extend_schema(
        operation_id=operation_id,
        request=request,
        responses={
            200: ChannelOrderSerializer,
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
            409: error_response("`invalid_state`: not possible in the order's status."),
            **(extra or {}),
        },
        tags=["channels"],
        description=description,
    )


class ChannelCashView(_AgentView):
    @_action_schema(
        "channels_orders_cash",
        "Cash taken for the order by the agent or clerk who placed it: the order is paid "
        "(ledger sale written). Sent again: the same payment, nothing twice. 409 "
        "`cash_day_closed` once the clerk closed today's cash.",
        extra={
            409: error_response("`invalid_state` (not waiting for payment) or `cash_day_closed`.")
        },
    )
    def post(self, request, slug: str, number: str):
        _row(request, slug, number, own_only=True)
        flows.channel_cash_take(number=number, agent=request.user)
        return _order_out(request, slug, number)


class ChannelWalletView(_AgentView):
    @extend_schema(
        operation_id="channels_orders_wallet",
        request=None,
        responses={
            200: WalletPaySerializer,
            400: error_response("`provider_unavailable`: no wallet configured."),
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
            409: error_response("`invalid_state`: the order is not waiting for payment."),
            502: error_response("`provider_error`: the wallet did not answer."),
        },
        tags=["channels"],
        description="The pay link the buyer's wallet opens (shown as a QR code on screen, "
        "or sent by SMS as a pay link).",
    )
    def post(self, request, slug: str, number: str):
        _row(request, slug, number, own_only=True)
        _payment, pay_url = flows.station_wallet_link(number=number, agent=request.user)
        qr = str(qr_svg(pay_url)) if pay_url else ""
        return Response({"pay_url": pay_url, "qr_svg": qr})


class PayLinkSentSerializer(serializers.Serializer):
    pay_url = serializers.CharField()
    sent_to = serializers.CharField(help_text="The villager's phone, masked (e.g. +86138****0000).")


class ChannelPayLinkView(_AgentView):
    @extend_schema(
        operation_id="channels_orders_pay_link",
        request=None,
        responses={
            202: PayLinkSentSerializer,
            400: error_response(
                "`no_phone`: the order has no villager's phone; `provider_unavailable`."
            ),
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
            409: error_response("`invalid_state`: the order is not waiting for payment."),
            502: error_response("`provider_error`: the wallet did not answer."),
        },
        tags=["channels"],
        description="Text the pay link to the villager's phone on the order, so they pay "
        "from their own wallet later; once per pay link however often it is pressed.",
    )
    def post(self, request, slug: str, number: str):
        row = _row(request, slug, number, own_only=True)
        _payment, pay_url = flows.station_pay_link_send(number=number, agent=request.user)
        masked = flows.phone_masked(row.villager_phone)
        return Response({"pay_url": pay_url, "sent_to": masked}, status=status.HTTP_202_ACCEPTED)


class ChannelArrivedView(_AgentView):
    @_action_schema(
        "channels_orders_arrived",
        "The parcel reached the station (scanned in): ready for pickup; the buyer is told "
        "once. `not_a_pickup_point` (400) at a place that is not one.",
    )
    def post(self, request, slug: str, number: str):
        _row(request, slug, number)
        flows.parcel_arrived(number=number, agent=request.user)
        return _order_out(request, slug, number)


class ChannelPickupView(_AgentView):
    @extend_schema(
        operation_id="channels_pickup",
        request=PickupInputSerializer,
        responses={
            200: ChannelOrderSerializer,
            400: error_response("`wrong_pickup_code`: no order here has that code."),
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
            409: error_response(
                "`already_collected` (two pickups with one code: exactly one succeeds) or "
                "`not_ready_for_pickup`."
            ),
        },
        tags=["channels"],
        description="The villager collects with the 6-digit pickup code.",
    )
    def post(self, request, slug: str):
        data = PickupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = flows.pickup_collect(
            place_slug=slug, code=data.validated_data["code"], agent=request.user
        )
        return Response(ChannelOrderSerializer(row).data)


class ChannelLookupView(_AgentView):
    @extend_schema(
        operation_id="channels_lookup",
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="A scan or a search.")],
        responses={
            200: VariantFoundSerializer(many=True),
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
        },
        tags=["channels"],
        description="A scanned SKU (exact) or a search over SKUs and titles.",
    )
    def get(self, request, slug: str):
        channel_services.place_for_agent(slug=slug, user=request.user)
        found = channel_selectors.variant_lookup(request.query_params.get("q", ""))
        return Response(VariantFoundSerializer(found, many=True).data)


class ChannelCashReportView(_AgentView):
    @extend_schema(
        operation_id="channels_cash_report",
        parameters=[OpenApiParameter("day", OpenApiTypes.DATE, description="Default: today.")],
        responses={
            200: CashReportSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
        },
        tags=["channels"],
        description="End of day, for the place's agents and store managers: the cash each "
        "clerk took here, what their close entered in the store's cash ledger and what the "
        "manager confirmed handed over; the cash still to hand over; the commission.",
    )
    def get(self, request, slug: str):
        from django.utils import timezone

        place = flows.place_for_cash_report(slug=slug, user=request.user)
        raw = request.query_params.get("day")
        try:
            day = date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            raise InvalidInput(details={"day": ["A date like 2026-12-01."]}) from None
        body = {
            **flows.cash_day_report(place=place, day=day),
            "commission": flows.station_commission(place=place),
        }
        return Response(CashReportSerializer(body).data)


def _entry_answer(entry, created: bool) -> Response:
    return Response(
        CashEntrySerializer(entry).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


class ChannelCashCloseView(_AgentView):
    @extend_schema(
        operation_id="channels_cash_close",
        request=CashDayInputSerializer,
        responses={
            201: OpenApiResponse(CashEntrySerializer, description="The day's cash entered."),
            200: OpenApiResponse(CashEntrySerializer, description="Closed before: that entry."),
            400: error_response("`invalid`: a bad or future day."),
            401: ERROR_401,
            403: ERROR_403_AGENT,
            404: ERROR_404_PLACE,
        },
        tags=["channels"],
        description="The clerk closes their day: the cash they took here that day (the sum "
        "of their cash payments, to the fen) becomes the store's cash to hand over. Once "
        "per day; after today's close they take no more cash today (409 `cash_day_closed`).",
    )
    def post(self, request, slug: str):
        data = CashDayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry, created = flows.cash_day_close(
            place_slug=slug, clerk=request.user, day=data.validated_data.get("day")
        )
        return _entry_answer(entry, created)


class ChannelCashHandoverView(_AgentView):
    @extend_schema(
        operation_id="channels_cash_handover",
        request=CashHandoverInputSerializer,
        responses={
            201: OpenApiResponse(CashEntrySerializer, description="The handover entered."),
            200: OpenApiResponse(CashEntrySerializer, description="Confirmed before."),
            400: error_response("`invalid`: a bad or future day, no clerk."),
            401: ERROR_401,
            403: error_response("`not_a_store_manager`."),
            404: error_response("`place_not_found`, or `not_found`: not a clerk here."),
            409: error_response("`cash_not_closed`: the clerk has not closed that day."),
        },
        tags=["channels"],
        description="The store manager confirms a clerk handed over a closed day's cash: "
        "the negative entry that brings the clerk's day to zero. Once.",
    )
    def post(self, request, slug: str):
        data = CashHandoverInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry, created = flows.cash_handover_confirm(
            place_slug=slug,
            manager=request.user,
            clerk_username=data.validated_data["clerk"],
            day=data.validated_data["day"],
        )
        return _entry_answer(entry, created)


class StationSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    county = serializers.CharField(source="county.slug", help_text="The county's slug.")
    county_name = serializers.CharField(source="county.name")
    address = serializers.SerializerMethodField(
        help_text="Province, city, district and street, in one line."
    )
    opening_hours = serializers.CharField()
    pickup = serializers.BooleanField(
        source="is_pickup_point", help_text="Receives parcels: `pickup_station` of an order."
    )

    def get_address(self, place) -> str:
        return " ".join(
            part for part in (place.province, place.city, place.district, place.address) if part
        )


class StationListView(generics.ListAPIView):
    """``GET stations/``: the pickup stations a buyer may name in ``POST orders/``."""

    permission_classes = [permissions.AllowAny]
    filter_backends: list = []
    serializer_class = StationSerializer

    @extend_schema(
        operation_id="stations_list",
        parameters=[
            OpenApiParameter("county", OpenApiTypes.STR, description="A county's slug."),
            OpenApiParameter(
                "search",
                OpenApiTypes.STR,
                description="A word of the station's name, address or district.",
            ),
        ],
        responses={200: StationSerializer(many=True), 400: ERROR_400},
        tags=["stations"],
        description="Open village stations that are pickup points (`pickup` is always "
        "true here), by county then name. Public.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return channel_selectors.pickup_stations(
            county=params.get("county", ""), search=params.get("search", "")
        )
