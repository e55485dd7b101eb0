"""``GET notifications/``: the caller's notices, newest first, in the caller's language.
``GET/PATCH me/notifications/``: the caller's choice of channels and of the language
their e-mails and text messages are written in."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.constants import NotificationKind
from notifications.messages import render
from notifications.models import Notification
from storefront.api.schema import ERROR_400, ERROR_401


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    context = serializers.DictField(help_text="The event's facts (order number, carrier…).")
    read = serializers.BooleanField(source="is_read")
    created = serializers.DateTimeField()

    def _words(self, obj):
        return render(obj.kind, obj.context, language=get_language())

    def get_title(self, obj) -> str:
        return self._words(obj).title

    def get_body(self, obj) -> str:
        return self._words(obj).body


@extend_schema_view(
    get=extend_schema(
        responses={200: NotificationSerializer(many=True), 400: ERROR_400, 401: ERROR_401},
        tags=["notifications"],
    )
)
class NotificationListView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notification_list_for_user(user=self.request.user)


class NotificationSettingsSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(
        help_text="Off: notices are still listed, but never counted as unread."
    )
    email = serializers.BooleanField(help_text="Order news by e-mail.")
    sms = serializers.BooleanField(help_text="Order news by text message.")
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="The language of the caller's e-mails and text messages.",
    )
    email_possible = serializers.BooleanField(
        read_only=True, help_text="The account has an e-mail address to write to."
    )
    sms_possible = serializers.BooleanField(
        read_only=True,
        help_text="The account has a proven mobile number (signed in by a code sent to "
        "it) and the shop can send text messages.",
    )


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false`` as JSON booleans (DRF would also take ``0``, ``"yes"``...)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class NotificationSettingsInputSerializer(serializers.Serializer):
    in_app = StrictBooleanField(required=False)
    email = StrictBooleanField(required=False)
    sms = StrictBooleanField(required=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


def _settings_body(user) -> dict:
    preference = services.preference_for(user=user)
    possible = services.channels_possible(user=user)
    return NotificationSettingsSerializer(
        {
            "in_app": preference.in_app,
            "email": preference.email,
            "sms": preference.sms,
            "language": services.language_of(user),
            "email_possible": possible["email"],
            "sms_possible": possible["sms"],
        }
    ).data


class NotificationSettingsView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="me_notifications",
        responses={200: NotificationSettingsSerializer, 401: ERROR_401},
        tags=["notifications"],
        description="How the caller hears about their orders (paid, shipped, refunded): "
        "in the shop always; by e-mail and by text message as chosen, when possible.",
    )
    def get(self, request):
        return Response(_settings_body(request.user))

    @extend_schema(
        operation_id="me_notifications_partial_update",
        request=NotificationSettingsInputSerializer,
        responses={200: NotificationSettingsSerializer, 400: ERROR_400, 401: ERROR_401},
        tags=["notifications"],
        description="Change any of the choices; the others stay. A text message goes only "
        "to a proven mobile number, whatever `sms` says.",
    )
    def patch(self, request):
        data = NotificationSettingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.notification_preferences_update(user=request.user, **data.validated_data)
        return Response(_settings_body(request.user))
