"""The API's error envelope as drf-spectacular components, for ``extend_schema``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


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


_PAGE_NOT_FOUND = {
    "description": "`not_found`: the page is past the end of the list.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def document_page_not_found(result, generator, request, public):
    """Postprocessing hook: a ``page`` past the end answers 404 (DRF's pagination), so
    every paginated list documents it."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            names = {p.get("name") for p in operation.get("parameters", [])}
            if "page" in names:
                operation.setdefault("responses", {}).setdefault("404", _PAGE_NOT_FOUND)
    return result


_REPEATED_PARAMETER = {
    "description": "`invalid`: a query parameter was given more than once (or the body or "
    "parameters are not valid).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def document_repeated_parameter(result, generator, request, public):
    """Postprocessing hook: under ``/api/v1/`` any query parameter given twice answers 400
    (``storefront.middleware.SingleValuedApiQueryMiddleware``), whatever the operation,
    so every operation documents a 400."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("400", _REPEATED_PARAMETER)
    return result
