"""``GET regions/?parent=CODE``: one level of the administrative divisions (API.md)."""

from __future__ import annotations

import re

from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from regions import selectors
from storefront.api.pagination import PageNumberPagination
from storefront.api.schema import ERROR_400, ERROR_404, paginated
from storefront.errors import InvalidInput

_CODE = re.compile(r"[0-9]{6}")


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Six-digit GB/T 2260 code.")
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=["province", "city", "district"])


class RegionListView(APIView):
    """Provinces without ``parent``; else the cities of a province or the districts of a
    city. A city without districts (Dongguan…) has none: its own code is the one an
    address gives as ``region_code``."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="regions_list",
        tags=["regions"],
        parameters=[
            OpenApiParameter(
                "parent",
                {"type": "string", "pattern": r"^\d{6}$"},
                description="A province or city code; leave out for the provinces.",
            ),
            OpenApiParameter("page", {"type": "integer", "minimum": 1}),
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 100}),
        ],
        responses={
            200: paginated(RegionSerializer, "PaginatedRegionList"),
            400: ERROR_400,
            404: ERROR_404,
        },
    )
    def get(self, request):
        parent = request.query_params.get("parent")
        if parent is not None and not _CODE.fullmatch(parent):
            raise InvalidInput(details={"parent": [_("A region code is six digits.")]})
        if parent is not None and selectors.region_get(parent) is None:
            # A well-formed code of no region is a missing resource, not bad input.
            raise NotFound(_("No region has this code."))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(list(selectors.region_children(parent)), request, self)
        response = paginator.get_paginated_response(RegionSerializer(page, many=True).data)
        # The table changes only with a deployment: let phones and proxies keep it a day.
        patch_cache_control(response, public=True, max_age=86400)
        return response
