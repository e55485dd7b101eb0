"""Account endpoints: register, token, me. Thin: parse, call a service, render."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.lockout import RegisterThrottle
from storefront.api.schema import ERROR_400, ERROR_401, ERROR_429, error_response
from storefront.client_ip import client_ip

from .serializers import (
    MeSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    SmsCodeInputSerializer,
    SmsCodeOutputSerializer,
    SmsTokenInputSerializer,
    SmsTokenOutputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
)


def _anonymous_schema(**kwargs):
    """The schema of an endpoint that needs no sign-in."""
    return extend_schema(auth=[], tags=["accounts"], **kwargs)


def _valid(serializer_class, request):
    """The request body checked by ``serializer_class`` (a 400 ``invalid`` otherwise)."""
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data


# An endpoint for someone not signed in yet. No session auth: a logged-in browser must
# not need a CSRF token to register or sign in. (Comments, not docstrings: a view's
# docstring would become its description in the API schema.)
class _AnonymousView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []


# An endpoint that hands out a token: throttled under the "auth" scope.
class _SignInView(_AnonymousView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterView(_AnonymousView):
    throttle_classes = [RegisterThrottle]

    @_anonymous_schema(
        operation_id="auth_register",
        request=RegisterInputSerializer,
        responses={201: RegisterOutputSerializer, 400: ERROR_400, 429: ERROR_429},
    )
    def post(self, request):
        data = _valid(RegisterInputSerializer, request)
        user = services.user_register(
            **data.validated_data, language=getattr(request, "LANGUAGE_CODE", "")
        )
        token = services.token_for_user(user=user)
        body = RegisterOutputSerializer({"token": token.key, "user": user}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(_SignInView):
    @_anonymous_schema(
        operation_id="auth_token",
        request=TokenInputSerializer,
        responses={
            200: TokenOutputSerializer,
            400: error_response("`invalid_credentials`, or `invalid` for a malformed body."),
            429: ERROR_429,
        },
    )
    def post(self, request):
        data = _valid(TokenInputSerializer, request)
        # The Django request (not DRF's wrapper): the lock-out marks it, and its
        # middleware answers 429 once the account or the address is locked.
        token = services.token_obtain(**data.validated_data, request=request._request)
        return Response(TokenOutputSerializer({"token": token.key}).data)


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="me", responses={200: MeSerializer, 401: ERROR_401}, tags=["accounts"]
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class SmsCodeView(_AnonymousView):
    @_anonymous_schema(
        operation_id="auth_sms_code",
        request=SmsCodeInputSerializer,
        responses={
            202: SmsCodeOutputSerializer,
            400: ERROR_400,
            429: error_response(
                "`throttled`: one code a minute and ten an hour per number and per client "
                "address; details.retry_after_seconds."
            ),
            503: error_response("`sms_unavailable`: no SMS provider is configured."),
        },
        description="Text a six-digit sign-in code to `phone` (valid 5 minutes).",
    )
    def post(self, request):
        data = _valid(SmsCodeInputSerializer, request)
        services.sms_code_request(
            phone=data.validated_data["phone"],
            client_address=client_ip(request),
            language=getattr(request, "LANGUAGE_CODE", ""),
        )
        body = {
            "expires_in_seconds": settings.SMS_CODE_TTL_SECONDS,
            "resend_after_seconds": 60,
        }
        return Response(SmsCodeOutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class SmsTokenView(_SignInView):
    @_anonymous_schema(
        operation_id="auth_sms_token",
        request=SmsTokenInputSerializer,
        responses={
            200: SmsTokenOutputSerializer,
            400: error_response("`invalid_code`, `code_expired`, or `invalid` for bad input."),
            429: error_response("`too_many_attempts` (five wrong codes), or `throttled`."),
        },
        description="Exchange the code for an API token; a new number makes a new buyer.",
    )
    def post(self, request):
        data = _valid(SmsTokenInputSerializer, request)
        user, created = services.sms_code_verify(
            **data.validated_data, language=getattr(request, "LANGUAGE_CODE", "")
        )
        token = services.token_for_user(user=user)
        body = {"token": token.key, "user": user, "created": created}
        return Response(SmsTokenOutputSerializer(body).data)
