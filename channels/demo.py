"""Demo stores and stations in Jeminay (idempotent): the county store ``jeminay-store``
with its clerk ``jeminay-clerk`` and its store manager ``jeminay-store-manager`` (confirms
the clerks' cash handed over), the village station ``tost-station`` (a pickup point)
with its agent ``tost-agent``; passwords ``farmgate-demo``."""

from __future__ import annotations

from accounts.models import User
from catalog.models import County

from .constants import PlaceKind
from .models import Place

DEMO_PASSWORD = "farmgate-demo"  # noqa: S105 - demo only, printed in the README

PLACES = [
    {
        "slug": "jeminay-store",
        "kind": PlaceKind.STORE,
        "name": "吉木乃县农产品店 Jeminay county store",
        "address": "吉木乃镇团结路 8 号",
        "phone": "09066710001",
        "opening_hours": "09:30–20:00",
        "is_pickup_point": True,
        "commission_bp": 0,
        "agent": "jeminay-clerk",
        "manager": "jeminay-store-manager",
    },
    {
        "slug": "tost-station",
        "kind": PlaceKind.STATION,
        "name": "托斯特乡服务站 Tost village station",
        "address": "托斯特乡阔克阿尕什村村委会旁",
        "phone": "09066710002",
        "opening_hours": "10:00–19:00",
        "is_pickup_point": True,
        "commission_bp": 300,
        "agent": "tost-agent",
    },
]


def _user(username: str) -> User:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def load_channels_demo() -> dict:
    county = County.objects.filter(slug="jeminay").first()
    if county is None:
        return {}
    for spec in PLACES:
        spec = dict(spec)
        agent = _user(spec.pop("agent"))
        manager = spec.pop("manager", None)
        place, _created = Place.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                **spec,
                "county": county,
                "province": "新疆维吾尔自治区",
                "city": "阿勒泰地区",
                "district": "吉木乃县",
            },
        )
        place.agents.add(agent)
        if manager:
            place.managers.add(_user(manager))
    return {"places": Place.objects.count()}
