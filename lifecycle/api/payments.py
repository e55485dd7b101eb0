"""Paying an order: starting a payment, and the providers' notification callbacks,
whose stored notifications the lifecycle applies (order paid, fulfilment started)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.selectors import order_get_for_user
from payments.api.serializers import PaymentStartInputSerializer, PaymentStartOutputSerializer
from payments.providers import ProviderUnavailable
from payments.services import payment_start
from storefront.api.schema import ErrorSerializer
from storefront.client_ip import client_ip
from storefront.middleware import protocol_answer

from .. import services

logger = logging.getLogger(__name__)


class PaymentStartView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="order_payment_start",
        request=PaymentStartInputSerializer,
        responses={
            201: PaymentStartOutputSerializer,
            400: OpenApiResponse(description="`invalid` or `provider_unavailable`"),
            404: OpenApiResponse(description="not your order"),
            409: OpenApiResponse(description="`invalid_state`: the order is not pending_payment"),
        },
        tags=["orders"],
    )
    def post(self, request: Request, number: str) -> Response:
        order = order_get_for_user(user=request.user, number=number)  # 404, never 403
        data = PaymentStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payment_start(
            order=order,
            provider=data.validated_data["provider"],
            client_ip=client_ip(request),
        )
        return Response(PaymentStartOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class ProviderCallbackView(APIView):
    """A provider's asynchronous notification: verified, stored, answered at once.

    No user authentication (the signature is the authentication) and no CSRF: the
    caller is the provider's server. The raw body is read before any parsing because
    the signature covers the exact bytes.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    provider = ""

    def post(self, request: Request) -> HttpResponse:
        try:
            code, content_type, body = services.payment_notification_receive(
                provider=self.provider,
                headers=request.headers,
                body=request.body,
                content_type=request.META.get("CONTENT_TYPE", ""),
            )
        except ProviderUnavailable as exc:
            raise Http404("provider not configured") from exc
        # The provider's own answer ("failure" in plain text for Alipay), never our JSON.
        response = protocol_answer(HttpResponse(body, status=code))
        if content_type:
            response["Content-Type"] = content_type
        elif not body:
            del response["Content-Type"]
        return response


NOT_CONFIGURED = OpenApiResponse(
    ErrorSerializer, description="`not_found`: this provider is not configured here"
)


def _callback(provider: str, summary: str, responses: dict):
    view = type(
        f"{provider.title()}CallbackView",
        (ProviderCallbackView,),
        {"provider": provider, "__doc__": summary},
    )

    # A function of its own per provider: extend_schema annotates the function object,
    # so decorating the shared inherited ``post`` would give all three the last schema.
    def post(self, request, *args, **kwargs):
        return ProviderCallbackView.post(self, request, *args, **kwargs)

    view.post = extend_schema(
        operation_id=f"payments_callback_{provider}",
        summary=summary,
        request={"*/*": OpenApiTypes.BINARY},
        responses={**responses, 404: NOT_CONFIGURED},
        auth=[],
        tags=["payment callbacks"],
    )(post)
    return view


AlipayCallbackView = _callback(
    "alipay",
    "Alipay asynchronous notification (form-encoded, RSA2 signed)",
    {
        (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="`success`: stored"),
        (400, "text/plain"): OpenApiResponse(
            OpenApiTypes.STR, description="`failure`: bad signature or unknown trade"
        ),
    },
)
WechatCallbackView = _callback(
    "wechat",
    "WeChat Pay v3 notification (signed headers, AES-256-GCM resource)",
    {
        204: OpenApiResponse(description="stored"),
        401: OpenApiResponse(
            OpenApiTypes.OBJECT,
            description='`{"code": "FAIL", "message": ...}`: bad signature, stale timestamp, '
            "undecryptable resource or unknown trade",
        ),
    },
)
SandboxCallbackView = _callback(
    "sandbox",
    "Sandbox wallet notification (HMAC-SHA256 signed JSON)",
    {
        204: OpenApiResponse(description="stored"),
        401: OpenApiResponse(OpenApiTypes.OBJECT, description="bad signature or unknown trade"),
    },
)
