"""The buyer's address book: saved addresses, one of them the default.

Every address is cleaned by ``validation.clean_address`` (the rule orders use), so a
saved address is always one an order accepts. Saving an address already in the book
(the same cleaned fields) refreshes it instead of adding a copy.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User

from .. import validation
from ..exceptions import SavedAddressNotFound
from ..models import SavedAddress

MAX_SAVED_ADDRESSES = 20


def _locked_book(user: User) -> list[SavedAddress]:
    # The user's row serialises two saves at once (the one-default constraint).
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    return list(SavedAddress.objects.filter(user=user))


@transaction.atomic
def address_save(*, user: User, address: dict, make_default: bool = False) -> SavedAddress:
    """Add ``address`` to the book (or refresh the same one); the first address, or
    one saved with ``make_default``, becomes the default. ``InvalidInput`` as orders."""
    cleaned = validation.clean_address(address)
    book = _locked_book(user)
    same = next((a for a in book if a.address == cleaned), None)
    if same is None and len(book) >= MAX_SAVED_ADDRESSES:
        # The oldest non-default address makes room: a book is a convenience, not an archive.
        oldest = min((a for a in book if not a.is_default), key=lambda a: a.updated, default=None)
        if oldest is not None:
            oldest.delete()
    default = make_default or not any(a.is_default for a in book)
    if default:
        SavedAddress.objects.filter(user=user, is_default=True).update(is_default=False)
    if same is not None:
        same.is_default = same.is_default or default
        same.save(update_fields=["is_default", "updated"])
        return same
    return SavedAddress.objects.create(user=user, address=cleaned, is_default=default)


@transaction.atomic
def address_set_default(*, user: User, address_id: int) -> SavedAddress:
    _locked_book(user)
    chosen = SavedAddress.objects.filter(user=user, pk=address_id).first()
    if chosen is None:
        raise SavedAddressNotFound(details={"id": address_id})
    SavedAddress.objects.filter(user=user, is_default=True).update(is_default=False)
    chosen.is_default = True
    chosen.save(update_fields=["is_default", "updated"])
    return chosen


@transaction.atomic
def address_delete(*, user: User, address_id: int) -> None:
    """Remove an address; when it was the default, the most recent other one becomes it."""
    book = _locked_book(user)
    chosen = next((a for a in book if a.pk == address_id), None)
    if chosen is None:
        raise SavedAddressNotFound(details={"id": address_id})
    chosen.delete()
    if chosen.is_default:
        rest = SavedAddress.objects.filter(user=user).order_by("-updated", "-id").first()
        if rest is not None:
            rest.is_default = True
            rest.save(update_fields=["is_default", "updated"])
