"""``notify``: the one way any flow tells a person about an event.

It writes the in-app notice (once per person and event) and, on commit, sends each
channel the person chose by a Celery task: e-mail through Django's mail, SMS through
``sms.services.sms_send``; every channel in the person's language. Each delivery is a row
claimed by one conditional ``UPDATE``, so a repeated event, a repeated task or two
workers never send a channel twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.services import user_set_language
from sms.exceptions import SmsUnavailable
from sms.senders import sms_enabled
from sms.services import sms_send
from storefront import metrics, queue
from storefront.db import CompiledRead, insert_rows
from storefront.errors import InvalidInput

from .constants import Channel, DeliveryStatus, NotificationKind
from .messages import MESSAGES, render
from .models import Delivery, Notification, NotificationPreference

logger = logging.getLogger(__name__)


def language_of(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def preference_for(*, user: User) -> NotificationPreference:
    """The person's choice (every channel on when they never chose). A user loaded with
    ``select_related("notification_preference")`` costs no query."""
    if User.notification_preference.is_cached(user):
        try:
            return user.notification_preference
        except NotificationPreference.DoesNotExist:
            return NotificationPreference(user=user)
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


@transaction.atomic
def notification_preferences_update(
    *,
    user: User,
    in_app: bool | None = None,
    email: bool | None = None,
    sms: bool | None = None,
    language: str | None = None,
) -> NotificationPreference:
    """The person's choice of channels (and of the language notices are written in);
    ``None`` leaves a value as it is. ``InvalidInput`` for a non-boolean or unknown
    language, and nothing is saved."""
    errors = {
        name: ["Must be true or false."]
        for name, value in (("in_app", in_app), ("email", email), ("sms", sms))
        if value is not None and not isinstance(value, bool)
    }
    if errors:
        raise InvalidInput(details=errors)
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user
    )
    for name, value in (("in_app", in_app), ("email", email), ("sms", sms)):
        if value is not None:
            setattr(preference, name, value)
    if language is not None:
        user_set_language(user=user, language=language)
    preference.save()
    user.notification_preference = preference  # what ``preference_for(user)`` now reads
    return preference


def channels_possible(*, user: User) -> dict[str, bool]:
    """Which channels can reach the person at all, whatever they chose: e-mail needs an
    address, a text message a proven mobile number (and an SMS provider)."""
    return {
        Channel.EMAIL: bool(user.email),
        Channel.SMS: bool(user.phone and user.phone_verified and sms_enabled()),
    }


def _channels(user: User, preference: NotificationPreference) -> list[str]:
    channels = []
    if preference.email and user.email:
        channels.append(Channel.EMAIL)
    if preference.sms and user.phone and user.phone_verified and sms_enabled():
        channels.append(Channel.SMS)
    return channels


def notify(*, user: User, kind: str, event_key: str, context: dict) -> Notification:
    """Tell ``user`` about one event. A second call with the same ``event_key`` returns
    the first notice and sends nothing. ``InvalidInput`` for an unknown kind or a
    context missing a value the kind's words need."""
    from .tasks import notification_deliver_task

    if kind not in NotificationKind.values:
        raise InvalidInput(details={"kind": [f"Unknown kind {kind!r}."]})
    missing = [name for name in MESSAGES[kind].needs if name not in context]
    if missing or not event_key:
        raise InvalidInput(details={"context": missing, "event_key": [event_key]})
    preference = preference_for(user=user)
    # No savepoint of its own: alone this is the transaction; inside ``notify_in_flow``
    # that function's savepoint already takes a failed notice back (two round trips
    # fewer on every payment applied).
    with transaction.atomic(savepoint=False):
        # Insert first: a new event (the usual case) costs one statement; the same event
        # again (or at once, from another worker) meets the unique constraint and is not
        # written (ON CONFLICT DO NOTHING: no savepoint, no error), and the first is read.
        notification = Notification(
            user=user,
            event_key=event_key[:120],
            kind=kind,
            context=context,
            is_read=not preference.in_app,
        )
        if not insert_rows([notification], unless_taken=("user", "event_key")):
            return Notification.objects.get(user=user, event_key=event_key[:120])
        allowed = MESSAGES[kind].channels
        channels = [c for c in _channels(user, preference) if allowed is None or c in allowed]
        deliveries = Delivery.objects.bulk_create(
            [Delivery(notification=notification, channel=c) for c in channels]
        )
        for delivery in deliveries:
            queue.send_on_commit(notification_deliver_task, delivery.pk)
    return notification


# Read with every payment applied and parcel shipped: compiled once per connection.
_user_with_preference = CompiledRead(
    lambda pk: User.objects.select_related("notification_preference").filter(pk=pk)
)


def notify_in_flow(
    *, user_id: int, kind: str, event_key: str, context: dict
) -> Notification | None:
    """``notify`` from inside the transaction of the flow where the event happens (an
    order paid, a parcel shipped, a refund done): the notice commits with the event, its
    channels are sent on commit, and a notice that cannot be written (a bug, a database
    error) is rolled back to a savepoint, logged and counted, never failing the flow."""
    try:
        with transaction.atomic():
            found = _user_with_preference(pk=user_id)
            if not found:
                raise User.DoesNotExist(f"no user {user_id}")
            user = found[0]
            return notify(user=user, kind=kind, event_key=event_key, context=context)
    except Exception:  # the payment or the parcel matters more than its notice
        logger.exception("could not notify user %s of %s (%s)", user_id, event_key, kind)
        metrics.incr("notify_failed")
        return None


def notify_phone_in_flow(
    *, phone: str, kind: str, context: dict, dedupe_key: str, language: str = ""
) -> bool:
    """Text one event to a phone number that may belong to no account (a villager who
    ordered at a station), from inside the flow's transaction: the message is queued
    with it and sent on commit, once per ``dedupe_key`` however often the flow runs.
    Returns whether a message is (or already was) queued; no SMS provider, a bad number
    or a failure is logged and counted, never failing the flow."""
    if kind not in NotificationKind.values or not phone or not dedupe_key:
        raise InvalidInput(details={"kind": [kind], "phone": [phone], "dedupe_key": [dedupe_key]})
    message = MESSAGES[kind]
    missing = [name for name in message.needs if name not in context]
    if missing:
        raise InvalidInput(details={"context": missing})
    language = language or settings.LANGUAGE_CODE
    words = render(kind, context, language=language)
    try:
        with transaction.atomic():
            sms_send(
                phone=phone,
                template=kind,
                params=message.sms_params(context),
                text=words.sms,
                language=language,
                dedupe_key=dedupe_key[:100],
            )
    except SmsUnavailable:
        metrics.incr("notify_sms_unavailable")
        return False
    except Exception:  # the parcel matters more than its text message
        logger.exception("could not text %s (%s)", dedupe_key, kind)
        metrics.incr("notify_failed")
        return False
    return True


def notification_deliver(*, delivery_id: int) -> str:
    """Send one channel of one notice. Idempotent: only a pending delivery is sent.

    A failure to hand the message over (the mail server is down) puts it back to pending
    and re-raises, so the task retries it."""
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return (
            Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or ""
        )
    delivery = Delivery.objects.select_related("notification__user").get(pk=delivery_id)
    notification = delivery.notification
    user = notification.user
    language = language_of(user)
    words = render(notification.kind, notification.context, language=language)
    try:
        if delivery.channel == Channel.EMAIL:
            EmailMessage(
                subject=words.title,
                body=words.body,
                to=[user.email],
                headers={"Content-Language": language},
            ).send()
        else:
            sms_send(
                phone=user.phone,
                template=notification.kind,
                params=MESSAGES[notification.kind].sms_params(notification.context),
                text=words.sms,
                language=language,
                dedupe_key=f"notification-delivery:{delivery.pk}",
            )
    except SmsUnavailable:
        _mark(delivery_id, DeliveryStatus.SKIPPED, detail="sms_unavailable")
        return DeliveryStatus.SKIPPED
    except Exception:
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.PENDING
        )
        raise
    _mark(delivery_id, DeliveryStatus.SENT, sent_at=timezone.now())
    return DeliveryStatus.SENT


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the person's notices read (all of them without ``ids``). Returns how many."""
    rows = Notification.objects.filter(user=user, is_read=False)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(is_read=True)


def _mark(delivery_id: int, status: str, **fields) -> None:
    Delivery.objects.filter(pk=delivery_id).update(status=status, **fields)
