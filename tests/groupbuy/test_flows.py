"""Group buying and pre-sales, one flow at a time: prices, holds on fulfilment, seats
and quota given back on an unpaid cancel or expiry, the API's refusals, the pages, the
demo data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Variant
from fulfilment.models import Shipment
from fulfilment.selectors import orders_awaiting_fulfilment_ids
from fulfilment.services import shipments_create_for_order
from groupbuy.constants import TeamStatus
from groupbuy.demo import load_groupbuy_demo
from groupbuy.models import PreSale, Team, TeamMember, TeamOffer
from lifecycle import services as flows
from lifecycle.services import groupbuy as gb_flows
from orders.constants import OrderStatus
from orders.models import Order
from payments.models import Refund
from tests.factories import ADDRESS, make_manager, make_user

from .helpers import make_offer, make_presale, pay

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _start(offer, user=None):
    order, _ = gb_flows.team_start(offer=offer, user=user or make_user(), shipping_address=ADDRESS)
    return order, order.team_member.team


def test_team_orders_cost_the_team_price_and_wait_for_the_team(
    django_capture_on_commit_callbacks,
):
    offer = make_offer(stock=5, size=2, team_price=Decimal("25.50"))
    order, team = _start(offer)
    assert order.lines.get().unit_price == Decimal("25.50")
    assert order.channel == "team"
    assert abs(team.deadline - team.created - timedelta(hours=24)) < timedelta(seconds=5)
    pay(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not Shipment.objects.filter(order=order).exists()
    # The fulfilment sweep leaves it alone, and a stray task creates nothing.
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(hours=1))
    assert order.pk not in orders_awaiting_fulfilment_ids()
    assert shipments_create_for_order(order_id=order.pk) == []

    joined, _ = gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        pay(joined)
    team.refresh_from_db()
    assert team.status == TeamStatus.FILLED
    assert Shipment.objects.filter(order__in=[order, joined]).count() == 2


def test_an_unpaid_member_that_expires_gives_its_seat_back():
    offer = make_offer(stock=5, size=2)
    _order, team = _start(offer)
    joined, _ = gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
    Order.objects.filter(pk=joined.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert flows.orders_expire_overdue() == 1
    team.refresh_from_db()
    assert team.seats_taken == 1
    assert TeamOffer.objects.get(pk=offer.pk).units_claimed == 1
    assert Variant.objects.get(pk=offer.variant_id).stock == 4
    # The seat is free again.
    gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
    team.refresh_from_db()
    assert team.seats_taken == 2


def test_the_offer_cap_limits_units_at_the_team_price():
    offer = make_offer(stock=10, size=2, cap=1)
    _start(offer)
    with pytest.raises(Exception) as err:
        _start(offer)
    assert err.value.code == "team_closed"


def test_a_failed_team_refunds_its_paid_member_and_frees_its_stock():
    offer = make_offer(stock=5, size=2)
    order, team = _start(offer)
    pay(order)
    Team.objects.filter(pk=team.pk).update(deadline=timezone.now() - timedelta(hours=3))
    assert flows.teams_fail_overdue() == {"failed": 1, "settled": 1}
    order.refresh_from_db()
    assert order.status in (OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED)
    assert Variant.objects.get(pk=offer.variant_id).stock == 5
    assert flows.teams_fail_overdue() == {"failed": 0, "settled": 0}


def test_presale_orders_take_the_quota_and_give_it_back_on_expiry():
    presale = make_presale(quota=5, stock=0)
    order, _ = gb_flows.presale_buy(
        presale=presale, user=make_user(), quantity=3, shipping_address=ADDRESS
    )
    assert order.lines.get().unit_price == presale.price
    presale.refresh_from_db()
    assert presale.sold == 3
    with pytest.raises(Exception) as err:
        gb_flows.presale_buy(
            presale=presale, user=make_user(), quantity=3, shipping_address=ADDRESS
        )
    assert err.value.code == "presale_sold_out"
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    flows.orders_expire_overdue()
    presale.refresh_from_db()
    assert presale.sold == 0


def test_a_paid_presale_order_cancelled_gives_its_units_back_once():
    presale = make_presale(quota=5, stock=0)
    order, _ = gb_flows.presale_buy(
        presale=presale, user=make_user(), quantity=5, shipping_address=ADDRESS
    )
    pay(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    flows.order_cancel(order=order, note="changed my mind")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUND_PENDING
    assert Refund.objects.filter(payment__order=order).count() == 1
    presale.refresh_from_db()
    assert presale.sold == 0  # the five units are on sale again
    again, _ = gb_flows.presale_buy(
        presale=presale, user=make_user(), quantity=5, shipping_address=ADDRESS
    )
    presale.refresh_from_db()
    assert presale.sold == 5 and again.status == OrderStatus.PENDING_PAYMENT


def test_a_closed_presale_refuses_orders():
    presale = make_presale(
        opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(Exception) as err:
        gb_flows.presale_buy(
            presale=presale, user=make_user(), quantity=1, shipping_address=ADDRESS
        )
    assert err.value.code == "presale_closed"


def test_api_start_join_and_refusals():
    offer = make_offer(stock=10, size=2)
    leader, joiner, late = make_user(), make_user(), make_user()
    r = _client(leader).post(
        f"/api/v1/team-offers/{offer.pk}/teams/", {"shipping_address": ADDRESS}, format="json"
    )
    assert r.status_code == 201, r.content
    team_id = r.json()["team"]["id"]
    assert r.json()["team"]["share_path"] == f"/teams/{team_id}/"
    assert r.json()["order"]["total"]
    again = _client(leader).post(
        f"/api/v1/teams/{team_id}/join/", {"shipping_address": ADDRESS}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "team_already_joined"
    assert (
        _client(joiner)
        .post(f"/api/v1/teams/{team_id}/join/", {"shipping_address": ADDRESS}, format="json")
        .status_code
        == 201
    )
    full = _client(late).post(
        f"/api/v1/teams/{team_id}/join/", {"shipping_address": ADDRESS}, format="json"
    )
    assert full.status_code == 409
    assert full.json()["error"]["code"] == "team_full"
    bad = _client(late).post(f"/api/v1/teams/{team_id}/join/", {}, format="json")
    assert bad.status_code == 400
    assert _client(late).get("/api/v1/teams/999999/").status_code == 404
    assert APIClient().get(f"/api/v1/teams/{team_id}/").json()["seats_taken"] == 2


def test_api_presale_order_convert_and_refusals():
    presale = make_presale(quota=2)
    buyer = make_user()
    url = f"/api/v1/presales/{presale.pk}/orders/"
    ok = _client(buyer).post(url, {"quantity": 2, "shipping_address": ADDRESS}, format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["presale"]["left"] == 0
    sold_out = _client(buyer).post(url, {"quantity": 1, "shipping_address": ADDRESS}, format="json")
    assert sold_out.status_code == 409
    assert sold_out.json()["error"]["code"] == "presale_sold_out"
    too_many = _client(buyer).post(url, {"quantity": 0, "shipping_address": ADDRESS}, format="json")
    assert too_many.status_code == 400
    convert = f"/api/v1/presales/{presale.pk}/convert/"
    assert _client(buyer).post(convert, {"shortfall": 0}, format="json").status_code == 403
    manager = make_manager(presale.variant.product.cooperative)
    assert _client(manager).post(convert, {"shortfall": -1}, format="json").status_code == 400
    assert _client(manager).post(convert, {"shortfall": 5}, format="json").status_code == 400
    done = _client(manager).post(convert, {"shortfall": 0}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "converted"
    twice = _client(manager).post(convert, {"shortfall": 0}, format="json")
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "invalid_state"


def test_team_share_page_shows_state_and_its_qr_code(client):
    offer = make_offer(stock=5, size=2)
    _order, team = _start(offer)
    page = client.get(f"/teams/{team.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and f"/teams/{team.pk}/" in body
    assert "1 / 2" in body
    zh = client.get(f"/teams/{team.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "拼团" in zh
    ug = client.get(f"/teams/{team.pk}/", HTTP_ACCEPT_LANGUAGE="ug").content.decode()
    assert "گۇرۇپپا" in ug
    assert client.get("/teams/999999/").status_code == 404


def test_joining_from_the_share_page_goes_to_payment(client):
    offer = make_offer(stock=5, size=2)
    _order, team = _start(offer)
    page = client.post(f"/teams/{team.pk}/", {})
    assert page.status_code == 302 and "login" in page["Location"]


def test_presale_page(client):
    presale = make_presale(quota=500)
    body = client.get(f"/presales/{presale.pk}/").content.decode()
    assert "500" in body and presale.title in body
    zh = client.get(f"/presales/{presale.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "预售" in zh


def test_demo_is_idempotent():
    from catalog.demo import load_demo

    load_demo(with_photos=False)  # runs DEMO_EXTENSIONS, ours among them
    load_demo(with_photos=False)
    load_groupbuy_demo()
    offer = TeamOffer.objects.get(variant__sku="JMN-BF-5")
    assert (offer.team_size, offer.time_to_fill) == (2, timedelta(hours=24))
    presale = PreSale.objects.get(variant__sku="JMN-BF-10")
    assert presale.quota == 500 and presale.is_selling
    assert TeamOffer.objects.count() == 1 and PreSale.objects.count() == 1
    assert not TeamMember.objects.exists()


@pytest.mark.parametrize("how", ["failed", "expired", "filled"])
def test_joining_a_closed_team_answers_team_closed_and_takes_nothing(how):
    offer = make_offer(stock=10, size=2)
    order, team = _start(offer)
    if how == "failed":
        Team.objects.filter(pk=team.pk).update(deadline=timezone.now() - timedelta(hours=1))
        flows.teams_fail_overdue()
    elif how == "expired":  # past its deadline, the sweep has not run yet
        Team.objects.filter(pk=team.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    else:
        pay(order)
        joined, _ = gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
        pay(joined)

    def state():
        team.refresh_from_db()
        stock = Variant.objects.get(pk=offer.variant_id).stock
        return team.seats_taken, Order.objects.count(), stock

    before = state()
    r = _client(make_user()).post(
        f"/api/v1/teams/{team.pk}/join/", {"shipping_address": ADDRESS}, format="json"
    )
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == "team_closed"
    assert state() == before


def test_joining_an_open_team_with_every_seat_taken_answers_team_full():
    offer = make_offer(stock=10, size=2)
    _order, team = _start(offer)
    gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)  # unpaid
    r = _client(make_user()).post(
        f"/api/v1/teams/{team.pk}/join/", {"shipping_address": ADDRESS}, format="json"
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "team_full"
    team.refresh_from_db()
    assert team.status == TeamStatus.OPEN and team.seats_taken == 2


def test_a_paid_member_who_cancels_frees_the_seat_and_is_refunded(
    django_capture_on_commit_callbacks,
):
    offer = make_offer(stock=10, size=3)
    leader, team = _start(offer)
    member, _ = gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
    pay(leader)
    pay(member)
    assert APIClient().get(f"/api/v1/teams/{team.pk}/").json()["paid_members"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        flows.order_cancel(order=Order.objects.get(pk=member.pk))
    member.refresh_from_db()
    assert member.status in (OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED)
    assert Refund.objects.filter(payment__order=member).count() == 1  # the normal flow
    team.refresh_from_db()
    assert team.status == TeamStatus.OPEN and team.seats_taken == 1
    body = APIClient().get(f"/api/v1/teams/{team.pk}/").json()
    assert body["paid_members"] == 1 and body["seats_taken"] == 1
    assert TeamOffer.objects.get(pk=offer.pk).units_claimed == 1
    assert Variant.objects.get(pk=offer.variant_id).stock == 9
    assert TeamMember.objects.get(order=member).released_at is not None

    # The seat can be taken again, and the team fills with members who still pay.
    others = [
        gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)[0]
        for _ in range(2)
    ]
    with pytest.raises(Exception) as err:
        gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
    assert err.value.code == "team_full"
    team.refresh_from_db()
    assert team.seats_taken == 3  # never above its size
    for order in others:
        with django_capture_on_commit_callbacks(execute=True):
            pay(order)
    team.refresh_from_db()
    assert team.status == TeamStatus.FILLED
    assert not Shipment.objects.filter(order=member).exists()
    assert Shipment.objects.filter(order__in=[leader, *others]).count() == 3


def test_a_paid_member_who_cancelled_is_not_refunded_again_when_the_team_fails():
    offer = make_offer(stock=10, size=3)
    leader, team = _start(offer)
    member, _ = gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
    pay(leader)
    pay(member)
    flows.order_cancel(order=Order.objects.get(pk=member.pk))
    Team.objects.filter(pk=team.pk).update(deadline=timezone.now() - timedelta(hours=1))
    assert flows.teams_fail_overdue() == {"failed": 1, "settled": 1}  # the leader only
    assert Refund.objects.filter(payment__order=member).count() == 1
    assert Refund.objects.filter(payment__order=leader).count() == 1
    assert TeamOffer.objects.get(pk=offer.pk).units_claimed == 0
    assert Variant.objects.get(pk=offer.variant_id).stock == 10


def test_a_paid_member_cancelling_after_the_team_filled_keeps_the_seat():
    offer = make_offer(stock=10, size=2)
    leader, team = _start(offer)
    member, _ = gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
    pay(leader)
    pay(member)
    flows.order_cancel(order=Order.objects.get(pk=member.pk))
    team.refresh_from_db()
    assert team.status == TeamStatus.FILLED and team.seats_taken == 2
    assert Refund.objects.filter(payment__order=member).count() == 1


def test_a_member_who_cancelled_after_paying_does_not_fill_the_team():
    offer = make_offer(stock=5, size=2)
    order, team = _start(offer)
    pay(order)
    flows.order_cancel(order=Order.objects.get(pk=order.pk))
    joined, _ = gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
    pay(joined)
    team.refresh_from_db()
    assert team.status == TeamStatus.OPEN
    assert not Shipment.objects.filter(order=joined).exists()


def test_admin_convert_asks_for_the_shortfall_then_converts(client):
    presale = make_presale(quota=10)
    manager = make_manager(presale.variant.product.cooperative)
    client.force_login(manager)
    url = "/admin/groupbuy/presale/"
    ask = client.post(url, {"action": "convert_at_harvest", "_selected_action": [presale.pk]})
    assert ask.status_code == 200 and 'name="shortfall"' in ask.content.decode()
    done = client.post(
        url, {"action": "convert_at_harvest", "_selected_action": [presale.pk], "shortfall": "0"}
    )
    assert done.status_code == 302
    presale.refresh_from_db()
    assert presale.status == "converted"
    # Another cooperative's manager cannot see it, so cannot convert it either.
    other = make_manager(make_presale().variant.product.cooperative)
    client.force_login(other)
    assert client.get(f"{url}{presale.pk}/change/").status_code == 302
