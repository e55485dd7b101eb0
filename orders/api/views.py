"""Cart endpoints. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from storefront.api.schema import ERROR_400, ERROR_401, ERROR_404

from .serializers import (
    CartItemInputSerializer,
    CartItemSerializer,
    CartItemUpdateSerializer,
    CartSerializer,
)


def _cart_item(request, item_id: int):
    return selectors.cart_items_queryset().get(user=request.user, pk=item_id)


class CartView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="cart_retrieve",
        responses={200: CartSerializer, 401: ERROR_401},
        tags=["cart"],
    )
    def get(self, request):
        cart = selectors.cart_get(user=request.user)
        return Response(CartSerializer(cart).data)


class CartItemCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="cart_items_create",
        request=CartItemInputSerializer,
        responses={201: CartItemSerializer, 400: ERROR_400, 401: ERROR_401},
        tags=["cart"],
        description="Adding a variant already in the cart adds to its quantity "
        "(the sum stays within 1..999). The cart never reserves stock.",
    )
    def post(self, request):
        data = CartItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.cart_item_add(
            user=request.user,
            variant_id=data.validated_data["variant"],
            quantity=data.validated_data["quantity"],
            within_stock=False,  # API.md: 201; stock is decided when the order is placed
        )
        body = CartItemSerializer(_cart_item(request, item.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class CartItemDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="cart_items_partial_update",
        request=CartItemUpdateSerializer,
        responses={200: CartItemSerializer, 400: ERROR_400, 401: ERROR_401, 404: ERROR_404},
        tags=["cart"],
    )
    def patch(self, request, item_id: int):
        data = CartItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.cart_item_update(
            user=request.user,
            item_id=item_id,
            quantity=data.validated_data["quantity"],
            within_stock=False,
        )
        return Response(CartItemSerializer(_cart_item(request, item.pk)).data)

    @extend_schema(
        operation_id="cart_items_destroy",
        responses={204: None, 401: ERROR_401, 404: ERROR_404},
        tags=["cart"],
    )
    def delete(self, request, item_id: int):
        services.cart_item_remove(user=request.user, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
