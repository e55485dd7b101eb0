"""Product import: a CSV or XLSX of products and variants, one row per variant, keyed on
(cooperative, SKU).

``import_check`` reads and checks a file without writing anything and returns every
error by row and column, and what applying would do. ``import_apply`` checks the file
again against the rows it locks and then writes everything in one transaction, or
nothing: products through ``catalog.services`` and, for many new ones at once,
``catalog.bulk`` (new products are drafts, to be submitted and approved as usual),
stock through ``catalog.stock`` — the file's stock is the
target figure, and the difference to the figure read under the row lock is recorded as
a correction movement. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog import bulk
from catalog import services as catalog_services
from catalog.models import Category, Cooperative, Product, Variant
from catalog.stock import STOCK_MAX, stock_set_if_unchanged
from catalog.translation import columns
from storefront.errors import InvalidInput
from storefront.text import clean_line, clean_multiline

MAX_ROWS = 50_000
MAX_FILE_BYTES = 20 * 1024 * 1024
PRICE_MAX = Decimal("99999.99")
SKU_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")

#: Column -> the headers accepted for it (the template uses the first).
COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "货号", "商品编码"),
    "title": ("title", "商品名称", "品名"),
    "category": ("category", "分类", "类目"),
    "description": ("description", "描述", "商品描述"),
    "variant": ("variant", "规格"),
    "price": ("price", "价格", "单价"),
    "stock": ("stock", "库存"),
    "weight_grams": ("weight_grams", "重量克", "重量(克)", "重量（克）"),
}
REQUIRED = ("sku", "title", "category", "variant", "price", "stock", "weight_grams")
TEMPLATE_EXAMPLE = {
    "sku": "JMN-BF-5",
    "title": "吉木乃特一粉 高筋小麦粉",
    "category": "flour",
    "description": "春小麦磨制，蛋白质高。",
    "variant": "5 kg 袋",
    "price": "39.90",
    "stock": "120",
    "weight_grams": "5100",
}


class ImportFileError(InvalidInput):
    code = "import_file"


class ImportRefused(InvalidInput):
    """The file has errors: nothing was changed (details: the errors)."""

    code = "import_errors"


@dataclass
class Row:
    line: int
    sku: str
    title: str
    category_id: int
    description: str
    variant: str
    price: Decimal
    stock: int
    weight_grams: int


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    new_products: int = 0
    updated_products: int = 0
    new_variants: int = 0
    updated_variants: int = 0
    stock_changes: int = 0
    unchanged: int = 0
    # filled by _plan: what to write
    product_for_title: dict[str, Product | None] = field(default_factory=dict)
    variant_for_sku: dict[str, Variant] = field(default_factory=dict)

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append({"row": line, "column": column, "message": str(message)})

    def summary(self) -> dict:
        return {
            "rows": len(self.rows),
            "errors": self.errors,
            "new_products": self.new_products,
            "updated_products": self.updated_products,
            "new_variants": self.new_variants,
            "updated_variants": self.updated_variants,
            "stock_changes": self.stock_changes,
            "unchanged": self.unchanged,
        }


# --------------------------------------------------------------------------- reading


def _cells(upload: IO[bytes], name: str) -> Iterator[list[Any]]:
    """The file's rows as lists of cell values (header first)."""
    if name.lower().endswith(".xlsx"):
        yield from _xlsx_cells(upload)
    elif name.lower().endswith(".csv"):
        yield from _csv_cells(upload)
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))


def _csv_cells(upload: IO[bytes]) -> Iterator[list[Any]]:
    raw = upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than 20 MB."))
    # Excel on Chinese Windows saves "CSV" in GB18030 unless told UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ImportFileError(_("The file is not UTF-8 or GB18030 text."))
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_cells(upload: IO[bytes]) -> Iterator[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("This is not an Excel workbook (.xlsx).")) from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True, max_col=len(COLUMNS) + 10):
            yield list(values)
    finally:
        workbook.close()


def _header_map(header: list[Any]) -> dict[str, int]:
    aliases = {alias.lower(): key for key, names in COLUMNS.items() for alias in names}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = aliases.get(str(cell or "").strip().lower())
        if key and key not in found:
            found[key] = index
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        raise ImportFileError(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(missing)},
            details={"missing": missing},
        )
    return found


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, float):
        # A spreadsheet stores 39.9 as a binary float: take it to the fen when it is one.
        fen = round(value * 100)
        return Decimal(fen) / 100 if abs(value * 100 - fen) < 1e-6 else Decimal(repr(value))
    text = _text(value).strip().replace(",", "").lstrip("¥￥")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _integer(value: Any) -> int | None:
    number = _decimal(value)
    if number is None or not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def read_rows(upload: IO[bytes], name: str, plan: Plan, categories: dict[str, int]) -> None:
    """Parse and check every row's cells into ``plan.rows`` / ``plan.errors``."""
    cells = _cells(upload, name)
    try:
        header = next(cells)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    columns = _header_map(header)
    seen_sku: dict[str, int] = {}
    for line, values in enumerate(cells, start=2):
        if not any(_text(v).strip() for v in values):
            continue
        if len(plan.rows) + len({e["row"] for e in plan.errors}) >= MAX_ROWS:
            raise ImportFileError(
                _("A file may hold at most %(n)d rows; split it.") % {"n": MAX_ROWS}
            )

        def cell(key: str, values=values) -> Any:
            index = columns.get(key)
            return values[index] if index is not None and index < len(values) else None

        before = len(plan.errors)
        sku = _text(cell("sku")).strip().upper()
        if not SKU_RE.match(sku):
            plan.error(
                line, "sku", _("A SKU is 1–40 letters, digits, dots, dashes or underscores.")
            )
        elif sku in seen_sku:
            plan.error(line, "sku", _("Same SKU as row %(row)d.") % {"row": seen_sku[sku]})
        else:
            seen_sku[sku] = line
        title = clean_line(_text(cell("title")), max_length=151)
        if not title or len(title) > 150:
            plan.error(line, "title", _("A title of 1–150 characters is required."))
        category_text = _text(cell("category")).strip().lower()
        category_id = categories.get(category_text)
        if category_id is None:
            plan.error(
                line, "category", _("Unknown category: use one of the listed slugs or names.")
            )
        description = clean_multiline(_text(cell("description")), max_length=5001)
        if len(description) > 5000:
            plan.error(line, "description", _("At most 5000 characters."))
        variant = clean_line(_text(cell("variant")), max_length=81)
        if not variant or len(variant) > 80:
            plan.error(line, "variant", _("A variant name of 1–80 characters is required."))
        price = _decimal(cell("price"))
        if (
            price is None
            or not price.is_finite()
            or price != price.quantize(Decimal("0.01"))
            or not Decimal("0") < price <= PRICE_MAX
        ):
            plan.error(
                line, "price", _("A price between 0.01 and 99999.99 yuan, two decimals at most.")
            )
        stock = _integer(cell("stock"))
        if stock is None or not 0 <= stock <= STOCK_MAX:
            plan.error(line, "stock", _("A whole number from 0 to %(max)d.") % {"max": STOCK_MAX})
        weight = _integer(cell("weight_grams"))
        if weight is None or not 0 < weight <= 1_000_000:
            plan.error(line, "weight_grams", _("A weight in whole grams, 1 to 1000000."))
        if len(plan.errors) == before:
            plan.rows.append(
                Row(line, sku, title, category_id, description, variant, price, stock, weight)
            )


def categories_by_key() -> dict[str, int]:
    found: dict[str, int] = {}
    # A category by its slug or by its name in any language (catalog/translation.py).
    for pk, slug, *translated in Category.objects.values_list("pk", "slug", *columns("name")):
        found.setdefault(slug.lower(), pk)
        for name in translated:
            if name:
                found.setdefault(name.strip().lower(), pk)
    return found


# --------------------------------------------------------------------------- planning


def _plan(plan: Plan, cooperative: Cooperative, *, lock: bool) -> None:
    """Match rows to existing products and variants and count what would change.

    With ``lock`` (inside the apply transaction) the cooperative's matched products and
    variants are locked, in id order, so the figures compared are the ones written over.
    """
    skus = [r.sku for r in plan.rows]
    variants = Variant.objects.filter(sku__in=skus).select_related("product")
    if lock:
        variants = variants.select_for_update(of=("self",)).order_by("pk")
    by_sku: dict[str, Variant] = {}
    for variant in variants:
        if variant.product.cooperative_id != cooperative.pk:
            line = next(r.line for r in plan.rows if r.sku == variant.sku)
            plan.error(line, "sku", _("This SKU belongs to another cooperative."))
        else:
            by_sku[variant.sku] = variant

    groups: dict[str, list[Row]] = {}
    for row in plan.rows:
        groups.setdefault(row.title, []).append(row)
    titles = [t for t in groups if not any(r.sku in by_sku for r in groups[t])]
    # A sheet's titles are the Chinese ones (the column of that language, not the reading
    # that follows the manager's language: catalog/translation.py).
    products = Product.objects.filter(cooperative=cooperative, title_zh_hans__in=titles)
    existing_by_title: dict[str, Product] = {}
    for product in products.order_by("pk"):
        existing_by_title.setdefault(product.title_zh_hans, product)
    claimed: dict[int, str] = {}
    for title, rows in groups.items():
        first = rows[0]
        for row in rows[1:]:
            if (row.category_id, row.description) != (first.category_id, first.description):
                plan.error(
                    row.line,
                    "category" if row.category_id != first.category_id else "description",
                    _("Row %(row)d is the same product with a different category or description.")
                    % {"row": first.line},
                )
        products_of_rows = {
            by_sku[r.sku].product_id: by_sku[r.sku].product for r in rows if r.sku in by_sku
        }
        if len(products_of_rows) > 1:
            plan.error(
                rows[0].line,
                "title",
                _("These SKUs belong to different products: give each its own title."),
            )
            continue
        product = next(iter(products_of_rows.values()), None) or existing_by_title.get(title)
        if product is not None:
            if product.pk in claimed:
                plan.error(
                    rows[0].line,
                    "title",
                    _("Variants of one product need one title (see “%(title)s”).")
                    % {"title": claimed[product.pk]},
                )
                continue
            claimed[product.pk] = title
            if (product.title_zh_hans, product.category_id, product.description_zh_hans or "") != (
                title,
                first.category_id,
                first.description,
            ):
                plan.updated_products += 1
        else:
            plan.new_products += 1
        plan.product_for_title[title] = product
    for row in plan.rows:
        variant = by_sku.get(row.sku)
        if variant is None:
            plan.new_variants += 1
            continue
        plan.variant_for_sku[row.sku] = variant
        changed = False
        if (variant.name, variant.price, variant.weight_grams) != (
            row.variant,
            row.price,
            row.weight_grams,
        ):
            plan.updated_variants += 1
            changed = True
        if variant.stock != row.stock:
            plan.stock_changes += 1
            changed = True
        if not changed:
            plan.unchanged += 1
    plan.errors.sort(
        key=lambda e: (e["row"], list(COLUMNS).index(e["column"]) if e["column"] in COLUMNS else 99)
    )


def import_check(
    *,
    cooperative: Cooperative,
    upload: IO[bytes],
    name: str,
    advance: Callable[[int], None] | None = None,
) -> Plan:
    """Read and check the file; write nothing. Raises ``ImportFileError`` when the file
    cannot be read at all; row errors are in ``plan.errors``."""
    plan = Plan()
    read_rows(upload, name, plan, categories_by_key())
    if advance:
        advance(len(plan.rows))
    _plan(plan, cooperative, lock=False)
    return plan


def import_apply(
    *,
    cooperative: Cooperative,
    upload: IO[bytes],
    name: str,
    actor,
    advance: Callable[[int], None] | None = None,
) -> Plan:
    """Check the file again and apply it, all or nothing. Raises ``ImportRefused`` (with
    every error) when any row is wrong: then nothing was changed."""
    plan = Plan()
    read_rows(upload, name, plan, categories_by_key())
    if plan.errors:
        raise ImportRefused(details={"errors": plan.errors})
    advance = advance or (lambda n: None)
    with transaction.atomic():
        _plan(plan, cooperative, lock=True)
        if plan.errors:
            raise ImportRefused(details={"errors": plan.errors})
        _write(plan, cooperative, actor, advance)
    return plan


def _write(plan: Plan, cooperative: Cooperative, actor, advance: Callable[[int], None]) -> None:
    categories = {c.pk: c for c in Category.objects.all()}
    first_row: dict[str, Row] = {}
    for row in plan.rows:
        first_row.setdefault(row.title, row)
    products: dict[str, Product] = {}
    new_titles = [t for t in first_row if plan.product_for_title.get(t) is None]
    created = bulk.products_create_drafts(
        cooperative=cooperative,
        products=[
            bulk.NewProduct(t, categories[first_row[t].category_id], first_row[t].description)
            for t in new_titles
        ],
    )
    products.update(zip(new_titles, created, strict=True))
    for title, row in first_row.items():
        product = plan.product_for_title.get(title)
        if product is None:
            continue
        if (product.title_zh_hans, product.category_id, product.description_zh_hans or "") != (
            title,
            row.category_id,
            row.description,
        ):
            product = catalog_services.product_update(
                product=product,
                title=title,
                category=categories[row.category_id],
                description=row.description,
            )
        products[title] = product
    note = _("import")
    new_rows = [row for row in plan.rows if row.sku not in plan.variant_for_sku]
    for start in range(0, len(new_rows), 1000):
        chunk = new_rows[start : start + 1000]
        bulk.variants_create_many(
            variants=[
                bulk.NewVariant(
                    products[r.title], r.variant, r.price, r.weight_grams, r.stock, r.sku
                )
                for r in chunk
            ],
            actor=actor,
            note=note,
        )
        advance(len(chunk))
    for row in plan.rows:
        variant = plan.variant_for_sku.get(row.sku)
        if variant is None:
            continue
        if (variant.name, variant.price, variant.weight_grams) != (
            row.variant,
            row.price,
            row.weight_grams,
        ):
            catalog_services.variant_update(
                variant=variant, name=row.variant, price=row.price, weight_grams=row.weight_grams
            )
        if variant.stock != row.stock:
            # The row is locked (_plan): the figure read is the figure replaced.
            stock_set_if_unchanged(
                variant_id=variant.pk, expected=variant.stock, new=row.stock, actor=actor, note=note
            )
        advance(1)


def template_rows() -> list[list[str]]:
    """The header and one example row of the import template."""
    return [list(COLUMNS), [TEMPLATE_EXAMPLE[k] for k in COLUMNS]]
