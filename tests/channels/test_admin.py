"""The admin: platform staff see every place; a county manager only their county's."""

from __future__ import annotations

import pytest
from django.test import Client

from channels.models import CountyManager
from tests.channels.conftest import make_place
from tests.factories import make_county, make_user

pytestmark = pytest.mark.django_db


def test_a_county_manager_sees_and_edits_only_their_countys_places():
    mine, theirs = make_county(), make_county()
    own = make_place(county=mine, name="Own station")
    other = make_place(county=theirs, name="Other station")
    manager = make_user(is_staff=True)
    CountyManager.objects.create(user=manager, county=mine)
    client = Client()
    client.force_login(manager)
    listing = client.get("/admin/channels/place/")
    assert listing.status_code == 200
    assert b"Own station" in listing.content and b"Other station" not in listing.content
    assert client.get(f"/admin/channels/place/{own.pk}/change/").status_code == 200
    assert client.get(f"/admin/channels/place/{other.pk}/change/").status_code == 302
    assert client.get("/admin/channels/countymanager/").status_code == 403


def test_staff_without_a_county_see_no_places():
    make_place(name="Somewhere")
    client = Client()
    client.force_login(make_user(is_staff=True))
    assert client.get("/admin/channels/place/").status_code == 403
    staff = make_user(is_staff=True, is_platform_staff=True)
    client.force_login(staff)
    assert b"Somewhere" in client.get("/admin/channels/place/").content
