"""The site-wide helpers that views and admins share: one flash-and-continue for a
button, one loop for an admin bulk action."""

from __future__ import annotations

from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from storefront.admin_helpers import admin_bulk_run
from storefront.errors import InvalidState
from storefront.pages import button_action


def _request():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    return request


def _flashed(request):
    return [(m.level, str(m)) for m in request._messages]


def _refuse():
    raise InvalidState("Not now.")


def test_button_action_flashes_the_success_sentence_once_the_call_is_done():
    request, done = _request(), []
    assert button_action(request, lambda: done.append(1), lambda: f"Done {len(done)}.")
    assert button_action(request, lambda: None, "Plain.")
    assert _flashed(request) == [(constants.SUCCESS, "Done 1."), (constants.SUCCESS, "Plain.")]


def test_button_action_flashes_the_refusal_instead():
    request = _request()
    assert not button_action(request, _refuse, "Never shown.")
    assert _flashed(request) == [(constants.ERROR, "Not now.")]


class _Admin:
    def __init__(self):
        self.sent = []

    def message_user(self, request, message, level):
        self.sent.append((level, message))


def test_admin_bulk_run_flashes_each_refusal_and_counts_the_rest():
    model_admin = _Admin()

    def act(n):
        if n == 2:
            _refuse()

    done = admin_bulk_run(
        model_admin,
        _request(),
        [1, 2, 3],
        act,
        "%(n)d done.",
        label=lambda n: f"#{n}",
        error=lambda exc: exc.message,
    )
    assert done == 2
    assert model_admin.sent == [(constants.ERROR, "#2: Not now."), (constants.SUCCESS, "2 done.")]


def test_admin_bulk_run_says_nothing_done_when_all_are_refused():
    model_admin = _Admin()
    assert (
        admin_bulk_run(model_admin, _request(), [1], lambda n: _refuse(), "%(n)d", error=str) == 0
    )
    assert model_admin.sent == [(constants.ERROR, "1: Not now.")]
