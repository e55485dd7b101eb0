"""Every catalogue write that matters. Keyword-only, typed, one transaction each.

One module per concern; the portal, the admin, demo data and tests call them through
this package (``from catalog import services``). Stock is ``catalog.stock``'s alone.
"""

from ._common import unique_slug
from .batches import (
    BATCH_FIELDS,
    batch_check,
    batch_code_normalise,
    batch_delete,
    batch_record,
    batch_update,
)
from .certifications import (
    CERTIFICATION_FIELDS,
    certification_check,
    certification_create,
    certification_delete,
    certification_update,
)
from .cooperatives import (
    category_delete,
    category_save,
    cooperative_delete,
    cooperative_save,
    county_delete,
    county_save,
)
from .memberships import membership_grant, membership_revoke
from .photos import (
    PHOTO_MOVES,
    product_image_add,
    product_image_delete,
    product_image_move,
    product_image_render_thumbnail,
    product_image_replace,
    product_image_update,
)
from .products import (
    DELETABLE_STATUSES,
    EDITABLE_PRODUCT_FIELDS,
    PRODUCT_TEXT_FIELDS,
    product_approve,
    product_archive,
    product_check,
    product_create,
    product_delete,
    product_reject,
    product_submit,
    product_update,
    product_withdraw,
)
from .variants import (
    VARIANT_FIELDS,
    variant_check,
    variant_create,
    variant_update,
    variant_weight_doubt,
)

__all__ = [
    "BATCH_FIELDS",
    "CERTIFICATION_FIELDS",
    "DELETABLE_STATUSES",
    "EDITABLE_PRODUCT_FIELDS",
    "PHOTO_MOVES",
    "PRODUCT_TEXT_FIELDS",
    "VARIANT_FIELDS",
    "batch_check",
    "batch_code_normalise",
    "batch_delete",
    "batch_record",
    "batch_update",
    "category_delete",
    "category_save",
    "certification_check",
    "certification_create",
    "certification_delete",
    "certification_update",
    "cooperative_delete",
    "cooperative_save",
    "county_delete",
    "county_save",
    "membership_grant",
    "membership_revoke",
    "product_approve",
    "product_archive",
    "product_check",
    "product_create",
    "product_delete",
    "product_image_add",
    "product_image_delete",
    "product_image_move",
    "product_image_render_thumbnail",
    "product_image_replace",
    "product_image_update",
    "product_reject",
    "product_submit",
    "product_update",
    "product_withdraw",
    "unique_slug",
    "variant_check",
    "variant_create",
    "variant_update",
    "variant_weight_doubt",
]
