"""``?c=CODE`` on any request notes the running campaign the buyer arrived with, on the
server: the signed-in buyer's ``BuyerTouch`` row, or the visitor's session (moved to the
row at sign-in or checkout). API clients signed in by token are noted after the view
has authenticated them (DRF sets ``request.user`` then); ``POST orders/?c=`` is noted
before the order is placed (the view calls ``campaign_touch`` itself)."""

from __future__ import annotations

from .services.campaigns import campaign_running, touch_from_session, touch_record, touch_session


def campaign_touch(request) -> None:
    """Note ``request``'s ``?c=CODE`` (once per request) and move a signed-in buyer's
    session touches to their row."""
    django_request = getattr(request, "_request", request)  # a DRF Request wraps it
    if getattr(django_request, "_campaign_touched", False):
        return
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    signed_in = user is not None and user.is_authenticated
    code = request.GET.get("c")
    if signed_in and session is not None and session.get("campaign_last"):
        touch_from_session(user=user, session=session)
    if not code:
        return
    campaign = campaign_running(code)
    if campaign is None:
        return
    if signed_in:
        touch_record(user=user, campaign=campaign)
        django_request._campaign_touched = True
    elif session is not None:
        touch_session(session=session, campaign=campaign)


class CampaignMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            campaign_touch(request)
        response = self.get_response(request)
        if (
            "c" in request.GET
            and not getattr(request, "_campaign_touched", False)
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            campaign_touch(request)  # a token client, signed in by the view
        return response
