"""Public, read-only catalogue endpoints. Thin: a selector, a filter set, a serializer."""

from __future__ import annotations

from django.utils.cache import patch_cache_control, patch_vary_headers
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors
from catalog.cache import cached_response
from catalog.filters import PRICE_BOUNDS, ProductFilter
from catalog.search.query import search_suggest
from storefront.api.schema import ERROR_400, ERROR_404
from storefront.errors import InvalidInput, NotFound
from storefront.text import clean_line

from .serializers import (
    CategorySerializer,
    CooperativeSerializer,
    CountySerializer,
    ProductDetailSerializer,
    ProductSummarySerializer,
    TraceSerializer,
)

# Product texts per language (catalog/translation.py).
_LANGUAGE_NOTE = (
    "`title` and `description` are in the request's language (`Accept-Language`: "
    "`zh-hans`, `ug` or `en`; the response's `Content-Language` says which), and in "
    "Chinese where the product has no translation. `search` finds Chinese, pinyin, "
    "Uyghur and English words alike."
)


class BatchNotFound(NotFound):
    default_message = "No batch has this code."


class _PublicList(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    filter_backends: list = []


# The 200 is listed too: a responses dict replaces the inferred answers.
@extend_schema_view(
    get=extend_schema(
        responses={200: CountySerializer(many=True), 400: ERROR_400}, tags=["catalogue"]
    )
)
class CountyListView(_PublicList):
    serializer_class = CountySerializer

    def get_queryset(self):
        return selectors.county_list()


# The 200 is listed too: a responses dict replaces the inferred answers.
@extend_schema_view(
    get=extend_schema(
        responses={200: CooperativeSerializer(many=True), 400: ERROR_400}, tags=["catalogue"]
    )
)
class CooperativeListView(_PublicList):
    serializer_class = CooperativeSerializer

    def get_queryset(self):
        return selectors.public_cooperatives()


# The 200 is listed too: a responses dict replaces the inferred answers.
@extend_schema_view(
    get=extend_schema(responses={200: CooperativeSerializer, 404: ERROR_404}, tags=["catalogue"])
)
class CooperativeDetailView(generics.RetrieveAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = CooperativeSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.public_cooperatives()


# The 200 is listed too: a responses dict replaces the inferred answers.
@extend_schema_view(
    get=extend_schema(
        responses={200: CategorySerializer(many=True), 400: ERROR_400}, tags=["catalogue"]
    )
)
class CategoryListView(_PublicList):
    serializer_class = CategorySerializer

    def get_queryset(self):
        return selectors.category_list()


@extend_schema_view(
    get=extend_schema(
        responses={200: ProductSummarySerializer(many=True), 400: ERROR_400},
        tags=["catalogue"],
        description="Approved products of active cooperatives. Unknown `ordering` "
        "values and `page_size` above 100 answer 400 `invalid`. " + _LANGUAGE_NOTE,
        parameters=[
            OpenApiParameter(
                name,
                {
                    "type": "number",
                    "minimum": PRICE_BOUNDS["min_value"],
                    "maximum": PRICE_BOUNDS["max_value"],
                },
                description=text,
            )
            for name, text in (
                ("min_price", "Lowest `price_from`, yuan."),
                ("max_price", "Highest `price_from`, yuan."),
            )
        ],
    )
)
class ProductListView(_PublicList):
    serializer_class = ProductSummarySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilter

    def get_queryset(self):
        return selectors.product_summary_list()

    def list(self, request, *args, **kwargs):
        # The hottest endpoint: pages are served from the versioned cache (catalog/cache.py).
        return cached_response(request, "products", self._list)

    def _list(self):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {
            "request": self.request,
            "certification_kinds": selectors.certification_kinds_for(page),
        }
        data = ProductSummarySerializer(page, many=True, context=context).data
        return self.get_paginated_response(data), [p.pk for p in page]


# The 200 is listed too: a responses dict replaces the inferred answers.
@extend_schema_view(
    get=extend_schema(
        responses={200: ProductDetailSerializer, 404: ERROR_404},
        tags=["catalogue"],
        description=_LANGUAGE_NOTE,
    )
)
class ProductDetailView(generics.RetrieveAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = ProductDetailSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.product_detail_queryset()

    def retrieve(self, request, *args, **kwargs):
        return cached_response(request, "product", self._retrieve)

    def _retrieve(self):
        product = self.get_object()
        return Response(self.get_serializer(product).data), [product.pk]


class TraceView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="trace_retrieve",
        responses={200: TraceSerializer, 404: ERROR_404},
        tags=["catalogue"],
        description="What the QR code on a bag points at: batch dates, quality figures, "
        "product, cooperative, county and certifications.",
    )
    def get(self, request, batch_code: str):
        batch = selectors.batch_for_trace(code=batch_code)
        if batch is None:
            raise BatchNotFound(details={"batch_code": batch_code})
        return Response(TraceSerializer(batch, context={"request": request}).data)


class _Suggestion(serializers.Serializer):
    text = serializers.CharField(help_text="What to show and, chosen, to search for.")
    product = serializers.CharField(allow_null=True, help_text="The product's slug.")


class _Suggestions(serializers.Serializer):
    suggestions = _Suggestion(many=True)


class SearchSuggestView(APIView):
    """Products for a search box being typed in (pinyin, initials and Chinese alike)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    MAX_LENGTH = 100

    @extend_schema(
        operation_id="search_suggest",
        parameters=[
            OpenApiParameter(
                "q", {"type": "string", "maxLength": 100}, description="What has been typed."
            )
        ],
        responses={200: _Suggestions, 400: ERROR_400},
        tags=["catalogue"],
    )
    def get(self, request):
        raw = request.query_params.get("q", "")
        # The limit is on what was sent (the schema's maxLength), not on what is left
        # once control characters and markup are cleaned away.
        if len(raw) > self.MAX_LENGTH:
            raise InvalidInput(details={"q": [f"At most {self.MAX_LENGTH} characters."]})
        query = clean_line(raw)
        found = search_suggest(selectors.public_products(), query)
        response = Response(_Suggestions({"suggestions": found}).data)
        # Titles change rarely; a minute of reuse spares the database a request per key.
        patch_cache_control(response, public=True, max_age=60)
        # They are in the buyer's language, chosen by the header or the language cookie.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
