"""Form fields that send a stock change relative to what the page showed.

No page posts a stock figure on its own. The count box travels with a hidden copy of
the figure the page showed (``StockSetField`` cleans to ``(count, shown)``), and a
second box takes a change ("received 20 bags": 20, "3 damaged": -3).
``StockChangeFields.stock_change()`` turns them into a ``catalog.stock.StockChange``;
the stock service decides. The farmer portal and the admin (the product page's
variant rows, the variant page, the variant list's editable column) all use them.

When the figure moved since the page was loaded (checkout sold some), ``clean()``
refuses a new count with the current figure and puts that figure in the boxes, so the
person sees it; the service refuses again if a sale slips in between.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from storefront.errors import ApplicationError

from .exceptions import StockChanged, StockWouldGoNegative
from .models import Variant
from .stock import STOCK_MAX, StockChange


def stock_changed_text(current: int) -> str:
    return _(
        "The stock changed while this page was open: it is now %(n)d. Nothing was saved; "
        "check the figure and save again."
    ) % {"n": current}


def stock_refusal_text(exc: ApplicationError) -> str | None:
    """The sentence a person reads when the stock service refused their change (with the
    current figure), or None for other failures."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if isinstance(exc, StockChanged) and "stock" in details:
        return stock_changed_text(details["stock"])
    if isinstance(exc, StockWouldGoNegative) and "stock" in details:
        return _("Only %(n)d are in stock: that many cannot be taken away. Nothing was saved.") % {
            "n": details["stock"]
        }
    return None


class StockSetWidget(forms.MultiWidget):
    """A number box and, hidden, the figure the page showed in it."""

    def __init__(self, attrs=None):
        number = forms.NumberInput(
            attrs={"min": 0, "max": STOCK_MAX, "inputmode": "numeric", **(attrs or {})}
        )
        super().__init__([number, forms.HiddenInput()])

    def decompress(self, value):
        return [value, value]


class StockSetField(forms.MultiValueField):
    widget = StockSetWidget

    def __init__(self, **kwargs):
        figure = {"min_value": 0, "max_value": STOCK_MAX, "required": False}
        kwargs.setdefault("required", False)
        super().__init__(
            (forms.IntegerField(**figure), forms.IntegerField(**figure)),
            require_all_fields=False,
            **kwargs,
        )

    def compress(self, data_list):
        count, shown = [*data_list, None, None][:2]
        return (count, shown)

    def has_changed(self, initial, data):
        """Changed when the person typed a figure other than the one the page showed; a
        figure checkout moved meanwhile is not their change."""
        try:
            count, shown = (self.fields[0].to_python(v) for v in data)
        except (forms.ValidationError, TypeError, ValueError):
            return True
        if shown is None:  # a new row: any opening figure is a change
            return count not in (None, 0)
        return count is not None and count != shown


class StockChangeFields(forms.Form):
    """Mix into a form (or a ModelForm, first) of one variant to send its stock change."""

    stock = StockSetField(
        label=gettext_lazy("Stock"),
        help_text=gettext_lazy(
            "Type the count you have now; it is kept only if nothing sold meanwhile."
        ),
    )
    stock_delta = forms.IntegerField(
        label=gettext_lazy("Received (+) or removed (−)"),
        required=False,
        min_value=-STOCK_MAX,
        max_value=STOCK_MAX,
        help_text=gettext_lazy("e.g. 20 when 20 bags came in, -3 for 3 damaged bags."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    stock_note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=255)

    #: the variant these boxes belong to, when the form is not a ModelForm of it
    variant_pk: int | None = None

    def __init__(self, *args, variant_pk: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if variant_pk is not None:
            self.variant_pk = variant_pk

    def _variant_pk(self) -> int | None:
        instance = getattr(self, "instance", None)
        return getattr(instance, "pk", None) or self.variant_pk

    def clean(self):
        cleaned = super().clean()
        # Out of cleaned_data, so a ModelForm never copies it onto the row: stock moves
        # only through the stock service.
        count, shown = cleaned.pop("stock", None) or (None, None)
        delta = cleaned.get("stock_delta") or None
        self._stock = (count, shown)
        if self._variant_pk() is None:  # a new variant: the count is its opening stock
            return cleaned
        if shown is None:
            if count is not None or delta:
                self.add_error("stock", _("Reload the page: the figure it showed is missing."))
            return cleaned
        if delta and count is not None and count != shown:
            self.add_error(
                "stock_delta",
                _("Type either what came in or went out, or the new count: not both."),
            )
        elif count is not None and count != shown:
            current = (
                Variant.objects.filter(pk=self._variant_pk())
                .values_list("stock", flat=True)
                .first()
            )
            if current is not None and current != shown:
                self.add_error(
                    "stock",
                    forms.ValidationError(stock_changed_text(current), code="stock_changed"),
                )
                self.show_current(current)
        return cleaned

    def show_current(self, current: int) -> None:
        """Put the current figure in the boxes the page shows again."""
        data = self.data.copy()
        name = self.add_prefix("stock")
        data[f"{name}_0"] = data[f"{name}_1"] = str(current)
        self.data = data

    def opening_stock(self) -> int:
        count, _shown = getattr(self, "_stock", (None, None))
        return count or 0

    def stock_change(self) -> StockChange | None:
        """What the person asked of the stock, relative to what the page showed."""
        count, shown = getattr(self, "_stock", (None, None))
        if shown is None:
            return None
        change = StockChange(
            shown=shown,
            count=count,
            delta=self.cleaned_data.get("stock_delta") or None,
            note=self.cleaned_data.get("stock_note") or "",
        )
        return None if change.is_empty else change
