"""The wholesale buyer's API (reads, the application, quotes). Purchase orders are
placed through lifecycle (``lifecycle.api.wholesale``). Thin: parse, call, render."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Cooperative, Variant
from storefront.api.schema import ERROR_400, ERROR_401, ERROR_404, error_response
from storefront.errors import InvalidInput, NotFound

from .. import contracts, selectors, services
from ..pricing import price_for
from .serializers import (
    ContractSerializer,
    OrganisationApplySerializer,
    OrganisationSerializer,
    PriceSerializer,
    PriceSheetRowSerializer,
    QuoteAcceptInputSerializer,
    QuoteRequestInputSerializer,
    QuoteSerializer,
)

ERROR_403_BUYER = error_response(
    "`not_wholesale_buyer`: the user is not a buyer of an approved organisation."
)
TAGS = ["wholesale"]


class PriceSheetView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_prices",
        responses={200: PriceSheetRowSerializer(many=True), 401: ERROR_401, 403: ERROR_403_BUYER},
        tags=TAGS,
        description="The organisation's price list: each variant's tiers at the price "
        "the one pricing rule gives (organisation list, then group list, then public).",
    )
    def get(self, request):
        member = services.buyer_for(request.user)
        rows = selectors.price_sheet(member.organisation)
        return Response(PriceSheetRowSerializer(rows, many=True).data)


class PriceQuoteView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_price",
        parameters=[
            OpenApiParameter("variant", OpenApiTypes.INT, required=True),
            OpenApiParameter("quantity", OpenApiTypes.INT, required=True),
        ],
        responses={
            200: PriceSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403_BUYER,
            404: ERROR_404,
        },
        tags=TAGS,
        description="The unit price this buyer pays for a quantity, and the list and tier "
        "that decided it (shown before ordering).",
    )
    def get(self, request):
        member = services.buyer_for(request.user)
        try:
            vid = int(request.query_params["variant"])
            qty = int(request.query_params["quantity"])
        except (KeyError, ValueError):
            raise InvalidInput(details={"query": ["variant and quantity, integers."]}) from None
        if qty < 1:
            raise InvalidInput(details={"quantity": ["At least 1."]})
        variant = Variant.objects.select_related("product").filter(pk=vid).first()
        if variant is None:
            raise NotFound()
        price = price_for(organisation=member.organisation, variant=variant, quantity=qty)
        return Response(PriceSerializer(price).data)


class OrganisationView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_organisation",
        responses={200: OrganisationSerializer, 401: ERROR_401, 404: ERROR_404},
        tags=TAGS,
        description="The organisation the user belongs to (any status).",
    )
    def get(self, request):
        member = getattr(request.user, "wholesale_membership", None)
        if member is None:
            raise NotFound()
        org = member.organisation
        return Response(
            OrganisationSerializer(
                {
                    "name": org.name,
                    "credit_code": org.credit_code,
                    "status": org.status,
                    "role": member.role,
                }
            ).data
        )

    @extend_schema(
        operation_id="wholesale_organisation_apply",
        request=OrganisationApplySerializer,
        responses={
            201: OrganisationSerializer,
            400: error_response(
                "`bad_credit_code` (the 18 characters or the check digit), or `invalid`."
            ),
            401: ERROR_401,
            404: ERROR_404,
        },
        tags=TAGS,
        description="Apply as a business buyer; platform staff or the cooperative approve.",
    )
    def post(self, request):
        data = OrganisationApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        coop = Cooperative.objects.filter(slug=fields.pop("cooperative"), is_active=True).first()
        if coop is None:
            raise NotFound()
        org = services.organisation_apply(user=request.user, cooperative=coop, **fields)
        body = {
            "name": org.name,
            "credit_code": org.credit_code,
            "status": org.status,
            "role": "buyer",
        }
        return Response(OrganisationSerializer(body).data, status=status.HTTP_201_CREATED)


class QuoteListCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_quotes",
        responses={200: QuoteSerializer(many=True), 401: ERROR_401, 403: ERROR_403_BUYER},
        tags=TAGS,
    )
    def get(self, request):
        member = services.buyer_for(request.user)
        return Response(QuoteSerializer(selectors.quotes(member.organisation_id), many=True).data)

    @extend_schema(
        operation_id="wholesale_quote_request",
        request=QuoteRequestInputSerializer,
        responses={
            201: QuoteSerializer,
            400: ERROR_400,
            401: ERROR_401,
            403: ERROR_403_BUYER,
            404: ERROR_404,
        },
        tags=TAGS,
        description="Ask the variant's cooperative for a quote (quantity, schedule).",
    )
    def post(self, request):
        member = services.buyer_for(request.user)
        data = QuoteRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        variant = (
            Variant.objects.select_related("product")
            .filter(pk=data.validated_data["variant"], is_active=True)
            .first()
        )
        if variant is None:
            raise NotFound()
        quote = services.quote_request(
            member=member,
            variant=variant,
            quantity=data.validated_data["quantity"],
            schedule=data.validated_data["schedule"],
        )
        return Response(QuoteSerializer(quote).data, status=status.HTTP_201_CREATED)


class QuoteAcceptView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_quote_accept",
        request=QuoteAcceptInputSerializer,
        responses={
            201: ContractSerializer,
            400: error_response("`invalid`: quantities not one per date or not adding up."),
            401: ERROR_401,
            403: ERROR_403_BUYER,
            404: ERROR_404,
            409: error_response("`invalid_state`: not quoted, expired or accepted already."),
        },
        tags=TAGS,
        description="Accept a quote: it becomes a contract at the quoted price and quality "
        "specification, with one scheduled delivery per quoted date. Each delivery is "
        "placed as a purchase order when it is due (on credit when the organisation has "
        "terms).",
    )
    def post(self, request, pk: int):
        member = services.buyer_for(request.user)
        data = QuoteAcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quote = selectors.quote_get(pk=pk, organisation_id=member.organisation_id)
        contract = contracts.quote_accept(
            quote=quote, member=member, quantities=data.validated_data["quantities"]
        )
        contract = selectors.contract_get(pk=contract.pk, organisation_id=member.organisation_id)
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)


class ContractListView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_contracts",
        responses={200: ContractSerializer(many=True), 401: ERROR_401, 403: ERROR_403_BUYER},
        tags=TAGS,
        description="The organisation's contracts, each with its deliveries (status "
        "scheduled, waiting with the reason, or placed with its order and batch).",
    )
    def get(self, request):
        member = services.buyer_for(request.user)
        rows = selectors.contracts_for(organisation_id=member.organisation_id)
        return Response(ContractSerializer(rows, many=True).data)


class ContractDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_contract",
        responses={200: ContractSerializer, 401: ERROR_401, 403: ERROR_403_BUYER, 404: ERROR_404},
        tags=TAGS,
    )
    def get(self, request, pk: int):
        member = services.buyer_for(request.user)
        contract = selectors.contract_get(pk=pk, organisation_id=member.organisation_id)
        return Response(ContractSerializer(contract).data)
