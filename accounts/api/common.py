"""API pieces shared by the buyer API (accounts, catalogue, orders).

``accounts`` is the app every other app may import, so these live here until
the lead moves them beside ``storefront/api/pagination.py``: the error envelope
as drf-spectacular components, and the strict pagination every list uses.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from storefront.api.pagination import PageNumberPagination


class _ErrorDetail(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`.")
    message = serializers.CharField(help_text="A sentence for a person.")
    details = serializers.DictField(
        help_text="Per-field messages for `invalid`; ids or limits for others."
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx/5xx answer: ``{"error": {"code", "message", "details"}}``."""

    error = _ErrorDetail()


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


# The error answers every endpoint may give, for ``extend_schema(responses=...)``.
ERROR_400 = error_response("`invalid` (per-field messages in details) or `parse_error`.")
ERROR_401 = error_response("`not_authenticated` or `authentication_failed`.")
ERROR_404 = error_response("`not_found`.")
ERROR_429 = error_response("`throttled`; details.retry_after_seconds.")


class StrictPageNumberPagination(PageNumberPagination):
    """``page_size`` above 100, zero, negative or not a number answers 400 ``invalid``.

    Silently capping would hand a client asking for 10000 rows a page of 100 and a
    ``count`` that looks like a bug; a clear refusal is easier to build against.
    """

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Must be a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size


def paginated(serializer, name: str):
    """A named paginated envelope (for views that render without a serializer class)."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )
