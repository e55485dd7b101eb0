"""Bare views that exist only for the benchmarks (``BENCHMARK_VIEWS=1``).

``bench/catalog.py`` measures the product list against these two floors: the
cheapest Django answer (``JsonResponse``) and the cheapest DRF answer (an
``APIView`` through DRF's authentication, permissions, negotiation and
renderer). Neither touches the database. They are mounted by
``storefront/urls.py`` only when ``settings.BENCHMARK_VIEWS`` is on, so a
production deployment never serves them.
"""

from __future__ import annotations

from django.http import JsonResponse
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
