"""``GET notifications/``: the caller's notices, newest first, in the caller's language."""

from __future__ import annotations

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers

from notifications import selectors
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
