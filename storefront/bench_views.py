"""Bare views that exist only for the benchmarks (``BENCHMARK_VIEWS=1``).

``bench/catalog.py`` measures the product list against these two floors: the
cheapest Django answer (``JsonResponse``) and the cheapest DRF answer (an
``APIView`` through DRF's authentication, permissions, negotiation and
renderer). Neither touches the database. ``bench/flash_sale.py`` measures the order
endpoint against two more that need a signed-in user (``Authorization: Token``, the
project's token authentication): the same hello, and a POST that inserts one row in
its own transaction (the framework's own floor for a write). These views are mounted by
``storefront/urls.py`` only when ``settings.BENCHMARK_VIEWS`` is on, so a
production deployment never serves them.
"""

from __future__ import annotations

import secrets

from django.http import JsonResponse
from django.utils import timezone
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

HELLO = {"hello": "world"}


def django_hello(request):
    return JsonResponse(HELLO)


class DRFHello(APIView):
    # The project's default authentication and permission classes stay on: the
    # floor includes what every real API view pays for them.

    def get(self, request):
        return Response(HELLO)


drf_hello = DRFHello.as_view()


class DRFHelloAuth(DRFHello):
    permission_classes = [permissions.IsAuthenticated]


class DRFInsertAuth(APIView):
    """One INSERT (autocommit) for a signed-in user: a row of the rate-limit table with
    a random key (the bench database is thrown away after the run)."""

    permission_classes = [permissions.IsAuthenticated]

    def post(self, request):
        from .models import RateLimit

        row = RateLimit.objects.create(
            key=f"bench:{request.user.pk}:{secrets.token_hex(8)}",
            window_start=timezone.now(),
            count=1,
        )
        return Response({"key": row.key}, status=status.HTTP_201_CREATED)


drf_hello_auth = DRFHelloAuth.as_view()
drf_insert_auth = DRFInsertAuth.as_view()
