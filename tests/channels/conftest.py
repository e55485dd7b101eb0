from __future__ import annotations

import pytest

from channels.constants import PlaceKind
from channels.models import Place
from tests.factories import make_county, make_product, make_user


def make_place(*, kind=PlaceKind.STATION, agents=(), **fields) -> Place:
    defaults = {
        "kind": kind,
        "name": f"Place {kind}",
        "slug": f"place-{kind}-{make_user().pk}",
        "county": fields.pop("county", None) or make_county(),
        "province": "新疆维吾尔自治区",
        "city": "阿勒泰地区",
        "district": "吉木乃县",
        "address": "托斯特乡村委会旁",
        "phone": "09066710002",
        "is_pickup_point": kind == PlaceKind.STATION,
        "commission_bp": 300,
    }
    place = Place.objects.create(**{**defaults, **fields})
    place.agents.add(*agents)
    return place


@pytest.fixture
def agent():
    return make_user("agent-one")


@pytest.fixture
def clerk():
    return make_user("clerk-one")


@pytest.fixture
def station(agent):
    return make_place(kind=PlaceKind.STATION, agents=[agent])


@pytest.fixture
def store(clerk):
    return make_place(kind=PlaceKind.STORE, agents=[clerk], is_pickup_point=False)


@pytest.fixture
def variant():
    return make_product(price="20.00", stock=10).variants.get()
