"""Vouchers and campaigns, read-only. Thin: a selector, a serializer."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import product_summaries_by_id
from storefront.api.schema import ERROR_401, ERROR_404
from storefront.errors import NotFound

from .. import selectors
from .serializers import CampaignSerializer, VoucherSerializer


class VoucherNotFound(NotFound):
    default_message = "There is no such voucher."


class CampaignNotFound(NotFound):
    default_message = "There is no such campaign."


class VoucherDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="vouchers_retrieve",
        responses={200: VoucherSerializer, 401: ERROR_401, 404: ERROR_404},
        tags=["marketing"],
        description="A voucher's terms (any letter case), while it can still be used.",
    )
    def get(self, request, code: str):
        voucher = selectors.voucher_public(code)
        if voucher is None:
            raise VoucherNotFound()
        return Response(VoucherSerializer(voucher).data)


def _render(request, campaigns) -> list[dict]:
    items = selectors.campaigns_items(campaigns)
    product_ids = {i.variant.product_id for rows in items.values() for i in rows}
    summaries = product_summaries_by_id(product_ids, request=request)
    context = {"request": request, "items": items, "summaries": summaries}
    return CampaignSerializer(campaigns, many=True, context=context).data


_LIST = inline_serializer("CampaignList", {"results": CampaignSerializer(many=True)})


class CampaignListView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="campaigns_list",
        responses={200: _LIST},
        tags=["marketing"],
        description="The campaigns running now, ending soonest first, with their products "
        "(`campaign_price`: what a featured variant costs while the campaign runs). "
        "Any request carrying `?c=CODE` attributes the buyer's next order to that campaign.",
    )
    def get(self, request):
        campaigns = list(selectors.campaigns_running()[:20])
        return Response({"results": _render(request, campaigns)})


class CampaignDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="campaigns_retrieve",
        responses={200: CampaignSerializer, 404: ERROR_404},
        tags=["marketing"],
    )
    def get(self, request, code: str):
        campaign = selectors.campaign_get(code)
        if campaign is None:
            raise CampaignNotFound()
        return Response(_render(request, [campaign])[0])
