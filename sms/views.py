"""``/dev/sms/``: the development outbox, so a new user can sign in by code with no SMS
account. Only with ``DEBUG`` on: in production it does not exist (404)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .models import OutboxMessage

LATEST = 50


@require_safe
def dev_outbox(request):
    if not settings.DEBUG:
        raise Http404
    # Not "messages": that name is the messages framework's in every template.
    outbox = OutboxMessage.objects.order_by("-created", "-id")[:LATEST]
    response = render(request, "sms/dev_outbox.html", {"outbox": outbox})
    response["Cache-Control"] = "no-store"
    return response
