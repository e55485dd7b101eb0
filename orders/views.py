"""Buyer pages: cart, checkout, pay, order list and detail (filled in as orders services land)."""

from django.http import Http404


def _pending(*args, **kwargs):
    raise Http404


cart = cart_add = cart_item = checkout = order_list = order_detail = _pending
order_pay = order_cancel = order_confirm = _pending
