"""Group buying and pre-sale endpoints (under /api/v1/). Thin: parse, call one flow or
selector, render. Placing answers 201 with the order (pay it as any order) and the
team or pre-sale it joined."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import ProductSummarySerializer, product_summaries_by_id
from catalog.selectors import user_managed_cooperative_ids
from groupbuy import selectors as gb_selectors
from orders.api.serializers import IDEMPOTENCY_KEY_HELP, AddressSerializer
from storefront.api.schema import ERROR_400, ERROR_401, ERROR_404, error_response
from storefront.errors import InvalidInput, NotFound, PermissionDenied

from .. import selectors
from ..services import groupbuy as flows
from .serializers import OrderSerializer

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=IDEMPOTENCY_KEY_HELP,
)


class _WithProductSummary(serializers.Serializer):
    """``product``: the product summary of ``GET products/`` (API.md). The view passes
    the summaries of every row at once (``with_summaries``): no query per row."""

    product = serializers.SerializerMethodField()

    @extend_schema_field(ProductSummarySerializer(allow_null=True))
    def get_product(self, obj) -> dict | None:
        summaries = self.context.get("summaries")
        product_id = obj.variant.product_id
        if summaries is None:  # one object: its own two queries
            summaries = product_summaries_by_id([product_id], request=self.context.get("request"))
        return summaries.get(product_id)


def with_summaries(request, rows) -> dict:
    """The serializer context for ``rows`` (team offers or pre-sales)."""
    ids = [row.variant.product_id for row in rows]
    return {"request": request, "summaries": product_summaries_by_id(ids, request=request)}


class TeamOfferSerializer(_WithProductSummary):
    id = serializers.IntegerField()
    variant = serializers.IntegerField(source="variant_id")
    title = serializers.CharField(source="variant.product.title")
    list_price = serializers.DecimalField(source="variant.price", max_digits=10, decimal_places=2)
    team_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    team_size = serializers.IntegerField()
    time_to_fill_hours = serializers.SerializerMethodField()
    window_hours = serializers.SerializerMethodField(help_text="API.md: hours a team has.")
    units_left = serializers.SerializerMethodField()

    def get_time_to_fill_hours(self, offer) -> float:
        return offer.time_to_fill.total_seconds() / 3600

    def get_window_hours(self, offer) -> int:
        return round(offer.time_to_fill.total_seconds() / 3600)

    def get_units_left(self, offer) -> int:
        return max(offer.stock_cap - offer.units_claimed, 0)


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    offer = serializers.IntegerField(source="offer_id")
    status = serializers.CharField()
    size = serializers.IntegerField()
    seats_taken = serializers.IntegerField()
    paid_members = serializers.SerializerMethodField()
    deadline = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(source="deadline", help_text="API.md's name.")
    share_path = serializers.SerializerMethodField()

    def get_paid_members(self, team) -> int:
        return gb_selectors.team_paid_count(team)

    def get_share_path(self, team) -> str:
        return f"/teams/{team.pk}/"


class PreSaleSerializer(_WithProductSummary):
    id = serializers.IntegerField()
    title = serializers.CharField()
    variant = serializers.IntegerField(source="variant_id")
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    quota = serializers.IntegerField()
    sold = serializers.IntegerField()
    left = serializers.IntegerField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    ships_on = serializers.DateField()
    status = serializers.SerializerMethodField(
        help_text="`scheduled` | `open` | `closed` | `converted` (API.md)."
    )
    stage = serializers.CharField(source="status", help_text="open, converting, converted.")
    selling = serializers.BooleanField(source="is_selling")

    def get_status(self, presale) -> str:
        if presale.status == "converted":
            return "converted"
        if presale.is_selling:
            return "open"
        if presale.status == "open" and timezone.now() < presale.opens_at:
            return "scheduled"
        return "closed"


class AddressInputSerializer(serializers.Serializer):
    shipping_address = AddressSerializer()


class PreSaleOrderInputSerializer(AddressInputSerializer):
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class ConvertInputSerializer(serializers.Serializer):
    shortfall = serializers.IntegerField(
        min_value=0, default=0, help_text="Units the harvest falls short (0: all of it ships)."
    )


class TeamPlacedSerializer(serializers.Serializer):
    team = TeamSerializer()
    order = OrderSerializer()


class PreSalePlacedSerializer(serializers.Serializer):
    presale = PreSaleSerializer()
    order = OrderSerializer()


def _placed(request, order, created, key: str, thing, serializer):
    if not created:
        order = selectors.order_get_for_user(user=request.user, number=order.number)
    body = serializer({key: thing, "order": order}, context={"request": request}).data
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


ERROR_409_TEAM = error_response(
    "`team_full` (the team is open and every seat is taken), `team_closed` (the team "
    "filled, failed or ran out of time, or the offer's units are taken), "
    "`team_already_joined` or `insufficient_stock`."
)


class TeamOfferListView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="team_offers_list",
        responses={200: TeamOfferSerializer(many=True)},
        tags=["group buying"],
    )
    def get(self, request):
        offers = list(gb_selectors.offers_running())
        context = with_summaries(request, offers)
        return Response(TeamOfferSerializer(offers, many=True, context=context).data)


class TeamStartView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="team_offers_start_team",
        request=AddressInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={
            201: OpenApiResponse(TeamPlacedSerializer, description="The new team and order."),
            400: ERROR_400,
            401: ERROR_401,
            404: ERROR_404,
            409: ERROR_409_TEAM,
        },
        tags=["group buying"],
        description="Start a team: the leader's order at the team price (pay it as any "
        "order). It ships once the team's members have all paid; refunded otherwise.",
    )
    def post(self, request, offer_id: int):
        offer = gb_selectors.offers_running().filter(pk=offer_id).first()
        if offer is None:
            raise NotFound("No such team offer.")
        AddressInputSerializer(data=request.data).is_valid(raise_exception=True)
        order, created = flows.team_start(
            offer=offer,
            user=request.user,
            shipping_address=request.data["shipping_address"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        team = gb_selectors.team_get(order.team_member.team_id)
        return _placed(request, order, created, "team", team, TeamPlacedSerializer)


class TeamDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="teams_retrieve",
        responses={200: TeamSerializer, 404: ERROR_404},
        tags=["group buying"],
    )
    def get(self, request, team_id: int):
        team = gb_selectors.team_get(team_id)
        if team is None:
            raise NotFound("No such team.")
        return Response(TeamSerializer(team).data)


class TeamJoinView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="teams_join",
        request=AddressInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={
            201: OpenApiResponse(TeamPlacedSerializer, description="The team and your order."),
            400: ERROR_400,
            401: ERROR_401,
            404: ERROR_404,
            409: ERROR_409_TEAM,
        },
        tags=["group buying"],
    )
    def post(self, request, team_id: int):
        team = gb_selectors.team_get(team_id)
        if team is None:
            raise NotFound("No such team.")
        AddressInputSerializer(data=request.data).is_valid(raise_exception=True)
        order, created = flows.team_join(
            team=team,
            user=request.user,
            shipping_address=request.data["shipping_address"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        team = gb_selectors.team_get(team_id)
        return _placed(request, order, created, "team", team, TeamPlacedSerializer)


class PreSaleListView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="presales_list",
        responses={200: PreSaleSerializer(many=True)},
        tags=["pre-sales"],
    )
    def get(self, request):
        presales = list(gb_selectors.presales_listed())
        context = with_summaries(request, presales)
        return Response(PreSaleSerializer(presales, many=True, context=context).data)


def _presale_or_404(presale_id: int):
    presale = gb_selectors.presale_get(presale_id)
    if presale is None:
        raise NotFound("No such pre-sale.")
    return presale


class PreSaleDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="presales_retrieve",
        responses={200: PreSaleSerializer, 404: ERROR_404},
        tags=["pre-sales"],
    )
    def get(self, request, presale_id: int):
        presale = _presale_or_404(presale_id)
        return Response(PreSaleSerializer(presale, context={"request": request}).data)


class PreSaleOrderView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="presales_order",
        request=PreSaleOrderInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={
            201: OpenApiResponse(PreSalePlacedSerializer, description="The order (pay it)."),
            400: ERROR_400,
            401: ERROR_401,
            404: ERROR_404,
            409: error_response(
                "`presale_sold_out` (details.left) or `presale_closed` (not open)."
            ),
        },
        tags=["pre-sales"],
        description="Order from the quota at the pre-sale price; it ships after the "
        "cooperative converts the pre-sale at harvest.",
    )
    def post(self, request, presale_id: int):
        presale = _presale_or_404(presale_id)
        data = PreSaleOrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order, created = flows.presale_buy(
            presale=presale,
            user=request.user,
            quantity=data.validated_data["quantity"],
            shipping_address=request.data["shipping_address"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        presale = _presale_or_404(presale_id)
        return _placed(request, order, created, "presale", presale, PreSalePlacedSerializer)


class PreSaleConvertView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="presales_convert",
        request=ConvertInputSerializer,
        responses={
            200: OpenApiResponse(PreSaleSerializer, description="The converted pre-sale."),
            400: ERROR_400,
            401: ERROR_401,
            403: error_response("`permission_denied`: not a manager of its cooperative."),
            404: ERROR_404,
            409: error_response("`invalid_state`: converted already."),
        },
        tags=["pre-sales"],
        description="At harvest (the cooperative's managers): paid orders become ordinary "
        "orders to pack; with a shortfall, the latest orders are refunded first.",
    )
    def post(self, request, presale_id: int):
        presale = _presale_or_404(presale_id)
        coop_id = presale.variant.product.cooperative_id
        if not (request.user.is_platform or coop_id in user_managed_cooperative_ids(request.user)):
            raise PermissionDenied()
        data = ConvertInputSerializer(data=request.data)
        if not data.is_valid():
            raise InvalidInput(details=data.errors)
        flows.presale_convert(presale_id=presale.pk, shortfall=data.validated_data["shortfall"])
        presale = _presale_or_404(presale_id)
        return Response(PreSaleSerializer(presale, context={"request": request}).data)
