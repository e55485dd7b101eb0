"""Reads of a person's notices (the API now; the in-app list and header count later)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import Notification


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created", "-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()
