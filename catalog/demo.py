"""Demo data: Jeminay County's flour cooperative and produce from five more poor counties.

``load_demo()`` is idempotent: a second run finds every row by its natural key
and leaves stock, orders and uploaded photos as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation

from accounts.models import User
from storefront.extensions import run_demo_extensions

from . import demo_art, services
from .constants import CertificationKind, MembershipRole, Pricing, ProductStatus
from .models import Batch, Category, Certification, Cooperative, County, Product, Variant
from .search.index import product_search_rebuild
from .stock import stock_record_opening
from .translation import PRODUCT_TRANSLATION_ARGS, SOURCE_LANGUAGE, column

DEMO_PASSWORD = "farmgate-demo"  # noqa: S105 - printed by `make run`, demo only
ADMIN_PASSWORD = "farmgate-admin"  # noqa: S105

ADMIN_USER = ("admin", ADMIN_PASSWORD, "platform admin (superuser)")
DEMO_USERS = [
    # username, password, role description (the superuser ADMIN_USER only on request)
    ("jeminay-manager", DEMO_PASSWORD, "manager of the Jeminay flour cooperative (admin)"),
    ("jeminay-farmer", DEMO_PASSWORD, "farmer of the Jeminay flour cooperative (farmer portal)"),
    ("buyer", DEMO_PASSWORD, "a buyer"),
]

COUNTIES = [
    (
        "jeminay",
        "吉木乃县",
        "新疆维吾尔自治区",
        "阿勒泰地区",
        "Jeminay sits on the Kazakh border below the Saur mountains; spring wheat on irrigated "
        "fields, milled by the cooperative itself.",
    ),
    (
        "leishan",
        "雷山县",
        "贵州省",
        "黔东南苗族侗族自治州",
        "Miao villages on the slopes of Leigong Mountain, where tea grows above the clouds.",
    ),
    (
        "weiyuan",
        "渭源县",
        "甘肃省",
        "定西市",
        "At the source of the Wei river: potatoes on dry loess.",
    ),
    (
        "yangbi",
        "漾濞彝族自治县",
        "云南省",
        "大理白族自治州",
        "Walnut trees hundreds of years old on the hills west of Erhai lake.",
    ),
    (
        "horqin-right-front",
        "科尔沁右翼前旗",
        "内蒙古自治区",
        "兴安盟",
        "Cold-land rice on black soil along the Gui river.",
    ),
    ("chengkou", "城口县", "重庆市", "", "Hive-keepers in the Daba mountains' forests."),
]

# Remote-region surcharges per parcel (province code → yuan): Tibet and Xinjiang cost the
# cooperatives of other provinces more to reach.
REMOTE_SURCHARGES = {"540000": "15.00", "650000": "10.00"}

CATEGORIES = [
    # slug, Chinese name, parent, Uyghur name, English name
    ("grain", "粮油", None, "ئاشلىق ۋە ماي", "Grain and oil"),
    ("flour", "面粉", "grain", "ئۇن", "Flour"),
    ("rice", "大米", "grain", "گۈرۈچ", "Rice"),
    ("nuts-dried-fruit", "坚果干果", None, "مېغىز ۋە قاقلار", "Nuts and dried fruit"),
    ("honey", "蜂蜜", None, "ھەسەل", "Honey"),
    ("tea", "茶叶", None, "چاي", "Tea"),
    ("vegetables", "蔬菜", None, "كۆكتات", "Vegetables"),
    ("meat", "肉类", None, "گۆش", "Meat"),
]

# The cooperatives the demo's Jeminay manager manages (the farmer is the flour one's).
JEMINAY_TEAM = ("jeminay-golden-wheat", "jeminay-saur-pasture")

# Variants sold by weight: sku → (price per kg, estimated grams per unit, buffer in basis
# points). Their ``price`` is the estimate plus the buffer (``Variant.save``).
BY_WEIGHT = {"JMN-MUTTON-LEG": ("68.00", 2500, 500)}


@dataclass
class P:
    slug: str
    title: str
    category: str
    art: str
    description: str
    variants: list[tuple[str, str, str, int, int]]  # sku, name, price, grams, stock
    grade: str = ""
    origin: str = ""
    batches: list[tuple] = ()  # code, harvested, milled, protein, moisture, ash, gluten
    # The translations (catalog/translation.py): English, and Uyghur, the language of
    # many of Jeminay's farmers and buyers. Demo texts; a native speaker should review.
    title_en: str = ""
    title_ug: str = ""
    description_en: str = ""
    description_ug: str = ""


COOPERATIVES = [
    # First, so its product is the oldest: the search demo's ties (same rank) go to the
    # newer flour, as the README's table says.
    {
        "slug": "jeminay-saur-pasture",
        "name": "吉木乃县萨吾尔牧业专业合作社",
        "county": "jeminay",
        "surcharges": {"540000": "15.00"},
        "color": (150, 60, 40),
        "phone": "0906-6512388",
        "story": "萨吾尔山下的牧民合作社，夏季转场放牧，冬季舍饲。羊肉按实际重量结算。\n\n"
        "Herders below the Saur mountains: summer pastures, winter folds. Meat is charged "
        "at its weighed price.",
        "products": [
            # Sold by weight (issue 14 §6): priced per kg; the buyer pays the estimate
            # plus a 5 % buffer, and what was paid above the weighed price is refunded.
            P(
                "jeminay-mutton-leg",
                "吉木乃草原羊后腿（按重量计价）",
                "meat",
                "meat",
                "萨吾尔山下放养的羊，整只后腿，约 2.5 公斤。按实际重量结算，多退。",
                [("JMN-MUTTON-LEG", "整只后腿 约 2.5 kg", "0.01", 2700, 30)],
                origin="吉木乃县",
                title_en="Jeminay Pasture Mutton Leg (sold by weight)",
                title_ug="جېمىنەي يايلاق قوي ئارقا پۇتى (ئېغىرلىقى بويىچە)",
                description_en="A whole leg from sheep grazed below the Saur mountains, about "
                "2.5 kg. Charged at its weighed price; any difference is refunded.",
                description_ug="سائۇر تېغى ئېتىكىدە بېقىلغان قوينىڭ پۈتۈن ئارقا پۇتى، تەخمىنەن "
                "2.5 كىلو. ئۆلچەنگەن باھا بويىچە ھېسابلىنىدۇ، ئارتۇقى قايتۇرۇلىدۇ.",
            ),
        ],
        "certifications": [],
    },
    {
        "slug": "jeminay-golden-wheat",
        "name": "吉木乃县金麦田面粉专业合作社",
        "county": "jeminay",
        "surcharges": {"540000": "15.00"},  # in Xinjiang itself: only Tibet is far
        "color": (60, 110, 50),
        "phone": "0906-6512345",
        "story": "一百二十户农民，其中四十三户曾是建档立卡贫困户，在萨吾尔山下种春小麦。"
        "合作社自己磨面、自己检验，每一袋都能扫码查到批次。\n\n"
        "120 households — 43 of them registered poor households — grow spring wheat "
        "below the Saur mountains and mill it themselves.",
        "products": [
            P(
                "jeminay-bread-flour",
                "吉木乃特一粉 高筋小麦粉",
                "flour",
                "flour",
                "春小麦磨制，蛋白质高，适合做馕、面包和拉面。",
                [
                    ("JMN-BF-5", "5 kg 袋", "39.90", 5100, 120),
                    ("JMN-BF-10", "10 kg 袋", "75.00", 10150, 80),
                    ("JMN-BF-25", "25 kg 袋", "178.00", 25300, 30),
                ],
                grade="特一等",
                origin="吉木乃县托斯特乡",
                batches=[
                    (
                        "JMN-2026-09-A",
                        date(2026, 8, 20),
                        date(2026, 9, 12),
                        "14.2",
                        "13.1",
                        "0.52",
                        "33.5",
                    )
                ],
                title_en="Jeminay Bread Flour, Strong Wheat",
                title_ug="جېمىنەي نان ئۇنى",
                description_en="Strong spring-wheat flour for naan, bread and hand-pulled noodles.",
                description_ug="باھارلىق بۇغدايدىن تارتىلغان كۈچلۈك ئۇن، نان، بولكا ۋە لەغمەنگە ماس.",
            ),
            P(
                "jeminay-whole-wheat",
                "吉木乃全麦粉",
                "flour",
                "flour",
                "整粒小麦石磨，保留麸皮和胚芽。",
                [
                    ("JMN-WW-5", "5 kg 袋", "42.00", 5100, 60),
                    ("JMN-WW-10", "10 kg 袋", "80.00", 10150, 25),
                ],
                grade="一等",
                origin="吉木乃县",
                batches=[
                    (
                        "JMN-2026-09-B",
                        date(2026, 8, 22),
                        date(2026, 9, 15),
                        "13.6",
                        "12.8",
                        "1.45",
                        "30.1",
                    )
                ],
                title_en="Jeminay Whole-Wheat Flour",
                title_ug="جېمىنەي پۈتۈن بۇغداي ئۇنى",
                description_en="Whole-grain flour, stone-milled, bran and germ kept.",
                description_ug="پۈتۈن دانلىق بۇغداي تاش تۈگمەندە تارتىلغان، كېپىكى ساقلانغان.",
            ),
            P(
                "jeminay-stone-ground",
                "吉木乃石磨面粉",
                "flour",
                "flour",
                "传统石磨低速研磨，麦香浓。",
                [
                    ("JMN-SG-5", "5 kg 袋", "45.00", 5100, 40),
                    ("JMN-SG-10", "10 kg 袋", "86.00", 10150, 20),
                    ("JMN-SG-25", "25 kg 袋", "198.00", 25300, 8),
                ],
                grade="特一等",
                origin="吉木乃县乌拉斯特镇",
                batches=[
                    (
                        "JMN-2026-10-C",
                        date(2026, 8, 25),
                        date(2026, 10, 3),
                        "13.9",
                        "13.3",
                        "0.61",
                        "32.0",
                    )
                ],
                title_en="Jeminay Stone-Ground Flour",
                title_ug="جېمىنەي تاش تۈگمەن ئۇنى",
                description_en="Slow stone-milled the traditional way, full of wheat flavour.",
                description_ug="ئەنئەنىۋى تاش تۈگمەندە ئاستا تارتىلغان، بۇغداي پۇرىقى قويۇق.",
            ),
            P(
                "jeminay-snowflake",
                "吉木乃雪花粉",
                "flour",
                "flour",
                "细腻洁白，蒸馒头、包饺子。",
                [
                    ("JMN-SF-5", "5 kg 袋", "36.00", 5100, 0),
                    ("JMN-SF-10", "10 kg 袋", "69.00", 10150, 50),
                    ("JMN-SF-25", "25 kg 袋", "165.00", 25300, 12),
                ],
                grade="特二等",
                origin="吉木乃县",
                batches=[
                    (
                        "JMN-2026-10-D",
                        date(2026, 8, 28),
                        date(2026, 10, 10),
                        "12.1",
                        "13.6",
                        "0.48",
                        "28.4",
                    )
                ],
                title_en="Jeminay Snowflake Flour",
                title_ug="جېمىنەي قار ئۇنى",
                description_en="Fine white flour for steamed buns and dumplings.",
                description_ug="ئاق ۋە يۇمشاق ئۇن، موما ۋە چۆچۈرىگە ماس.",
            ),
        ],
        "certifications": [
            (
                CertificationKind.GREEN_FOOD,
                "LB-18-26091234567A",
                "中国绿色食品发展中心",
                date(2029, 9, 1),
                None,
            ),
            (CertificationKind.GEOGRAPHICAL_INDICATION, "AGI-2024-0312", "农业农村部", None, None),
            (
                CertificationKind.ORGANIC,
                "OC-650-2026-0042",
                "中绿华夏有机食品认证中心",
                date(2027, 9, 30),
                "jeminay-stone-ground",
            ),
        ],
    },
    {
        "slug": "leishan-miao-tea",
        "name": "雷山县苗岭银球茶合作社",
        "county": "leishan",
        "color": (40, 100, 70),
        "phone": "0855-3331234",
        "story": "雷公山下的苗寨茶园，手工采摘。Hand-picked tea from Miao villages.",
        "products": [
            P(
                "leishan-silver-ball-tea",
                "雷山银球茶",
                "tea",
                "tea",
                "明前嫩芽，手工揉捻成球。",
                [
                    ("LS-TEA-100", "100 g 罐", "88.00", 300, 40),
                    ("LS-TEA-250", "250 g 罐", "198.00", 550, 20),
                ],
                grade="特级",
                origin="雷山县丹江镇",
                title_en="Leishan Silver Ball Tea",
                title_ug="لېيشەن كۈمۈش شارچە چېيى",
                description_en="Early spring tea buds, hand-rolled into silver balls.",
                description_ug="ئەتىياز بېشىدىكى يۇمران بىخلار، قولدا شار قىلىپ ئورالغان.",
            ),
            P(
                "leishan-black-tea",
                "雷山苗岭红茶",
                "tea",
                "tea",
                "高山红茶，蜜香。",
                [("LS-BT-200", "200 g 袋", "68.00", 350, 35)],
                grade="一级",
                title_en="Leishan Miao Mountain Black Tea",
                title_ug="لېيشەن تاغ قارا چېيى",
                description_en="High-mountain black tea with a honey note.",
                description_ug="ئېگىز تاغ قارا چېيى، ھەسەلدەك پۇرىقى بار.",
            ),
        ],
        "certifications": [
            (
                CertificationKind.ORGANIC,
                "OC-520-2026-0107",
                "贵州省有机认证中心",
                date(2027, 3, 31),
                None,
            )
        ],
    },
    {
        "slug": "weiyuan-potato",
        "name": "渭源县源头马铃薯合作社",
        "county": "weiyuan",
        "color": (140, 100, 50),
        "phone": "0932-4412345",
        "story": "黄土高原的旱作马铃薯，沙甜绵软。",
        "products": [
            P(
                "weiyuan-potatoes",
                "渭源黄心土豆",
                "vegetables",
                "potato",
                "新挖黄心马铃薯。",
                [
                    ("WY-PT-5", "5 kg 箱", "29.90", 5400, 100),
                    ("WY-PT-10", "10 kg 箱", "52.00", 10600, 60),
                ],
                title_en="Weiyuan Yellow Potatoes",
                title_ug="ۋېيۈەن سېرىق بەرەڭگىسى",
                description_en="Freshly dug yellow-fleshed potatoes.",
                description_ug="يېڭى كولانغان سېرىق بەرەڭگە.",
            ),
        ],
        "certifications": [],
    },
    {
        "slug": "yangbi-walnut",
        "name": "漾濞县核桃产业合作社",
        "county": "yangbi",
        "color": (120, 80, 40),
        "phone": "0872-5123456",
        "story": "百年老树上的泡核桃，壳薄仁满。",
        "products": [
            P(
                "yangbi-walnuts",
                "漾濞泡核桃",
                "nuts-dried-fruit",
                "walnut",
                "手剥薄壳核桃。",
                [
                    ("YB-WN-1", "1 kg 袋", "45.00", 1100, 150),
                    ("YB-WN-25", "2.5 kg 箱", "105.00", 2700, 40),
                ],
                grade="一级",
                title_en="Yangbi Thin-Shelled Walnuts",
                title_ug="ياڭبى نېپىز پوستلۇق ياڭىقى",
                description_en="Thin-shelled walnuts from century-old trees, easy to crack by hand.",
                description_ug="يۈز يىللىق دەرەخلەرنىڭ نېپىز پوستلۇق ياڭىقى، قولدا چاققىلى بولىدۇ.",
            ),
            P(
                "yangbi-dried-apricots",
                "漾濞杏干",
                "nuts-dried-fruit",
                "apricot",
                "自然晾晒，无添加。",
                [("YB-AP-500", "500 g 袋", "32.00", 550, 80)],
                title_en="Yangbi Dried Apricots",
                title_ug="ياڭبى ئۆرۈك قېقى",
                description_en="Sun-dried apricots, nothing added.",
                description_ug="تەبىئىي قۇرۇتۇلغان ئۆرۈك، ھېچنېمە قوشۇلمىغان.",
            ),
        ],
        "certifications": [
            (CertificationKind.GEOGRAPHICAL_INDICATION, "AGI-2013-1201", "农业农村部", None, None)
        ],
    },
    {
        "slug": "horqin-rice",
        "name": "科右前旗归流河稻米合作社",
        "county": "horqin-right-front",
        "color": (90, 120, 60),
        "phone": "0482-8812345",
        "story": "黑土地上一年一季的寒地粳米。",
        "products": [
            P(
                "horqin-japonica-rice",
                "归流河寒地粳米",
                "rice",
                "rice",
                "一年一熟，米香浓郁。",
                [
                    ("HQ-RC-5", "5 kg 袋", "49.90", 5100, 90),
                    ("HQ-RC-10", "10 kg 袋", "95.00", 10150, 45),
                ],
                grade="一级",
                title_en="Guiliu River Cold-Land Japonica Rice",
                title_ug="گۈيليۇخې سوغۇق رايون گۈرۈچى",
                description_en="Cold-land japonica rice, one harvest a year, rich aroma.",
                description_ug="يىلدا بىر قېتىم يىغىلىدىغان سوغۇق رايون گۈرۈچى، خۇش پۇراقلىق.",
            ),
        ],
        "certifications": [
            (
                CertificationKind.GREEN_FOOD,
                "LB-15-26011111111B",
                "中国绿色食品发展中心",
                date(2028, 1, 1),
                None,
            )
        ],
    },
    {
        "slug": "chengkou-honey",
        "name": "城口县大巴山蜂蜜合作社",
        "county": "chengkou",
        "color": (200, 130, 30),
        "phone": "023-59212345",
        "story": "大巴山原始林里的中华蜜蜂，一年只取一次百花蜜。",
        "products": [
            P(
                "chengkou-wild-honey",
                "城口土蜂蜜",
                "honey",
                "honey",
                "一年一取的百花蜜。",
                [
                    ("CK-HN-500", "500 g 瓶", "68.00", 800, 70),
                    ("CK-HN-1000", "1 kg 瓶", "128.00", 1500, 30),
                ],
                title_en="Chengkou Wild Honey",
                title_ug="چېڭكۇ ياۋا ھەسىلى",
                description_en="Wild-flower honey of Chinese bees, taken once a year.",
                description_ug="جۇڭگو ھەسەل ھەرىسىنىڭ ياۋا گۈل ھەسىلى، يىلدا بىر قېتىم ئېلىنىدۇ.",
            ),
        ],
        "certifications": [],
    },
]


def _product_texts(p: P) -> dict[str, str]:
    """Every language's column of a demo product's title and description."""
    return {
        column("title"): p.title,
        column("description"): p.description,
        **{name: getattr(p, name) for name in PRODUCT_TRANSLATION_ARGS},
    }


def _user(username: str, password: str, **fields) -> User:
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(password)
        user.save()
    return user


@transaction.atomic
def load_demo(*, with_photos: bool = True, with_admin: bool = False) -> dict:
    """Create (or find) the whole demo catalogue. Returns counts of what exists.

    The superuser ``admin`` with its published password is created only when
    ``with_admin`` says so (the command decides: DEBUG on or an explicit flag).
    """
    admin = None
    if with_admin:
        admin = _user(
            "admin",
            ADMIN_PASSWORD,
            email="admin@farmgate.example",
            is_staff=True,
            is_superuser=True,
            is_platform_staff=True,
        )
    manager = _user(
        "jeminay-manager",
        DEMO_PASSWORD,
        email="manager@jeminay.example",
        first_name="阿依古丽",
        phone="+8613909061234",
        phone_verified=True,
    )
    farmer = _user(
        "jeminay-farmer",
        DEMO_PASSWORD,
        first_name="努尔兰",
        phone="+8613899061234",
        phone_verified=True,
    )
    # Signing in by SMS code with 13800138000 opens this account (its number is proven).
    _user(
        "buyer",
        DEMO_PASSWORD,
        email="buyer@example.com",
        first_name="李娜",
        phone="+8613800138000",
        phone_verified=True,
    )

    counties = {}
    for slug, name, province, prefecture, description in COUNTIES:
        counties[slug], _ = County.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "province": province,
                "prefecture": prefecture,
                "poverty_relief": True,
                "description": description,
            },
        )
    categories = {}
    for slug, name, parent, name_ug, name_en in CATEGORIES:
        # Each language's column named; the original one holds the Chinese name.
        with translation.override(SOURCE_LANGUAGE):
            categories[slug], _ = Category.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    column("name"): name,
                    column("name", "ug"): name_ug,
                    column("name", "en"): name_en,
                    "parent": categories.get(parent),
                },
            )

    for index, spec in enumerate(COOPERATIVES):
        coop, _ = Cooperative.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "county": counties[spec["county"]],
                "story": spec["story"],
                "contact_phone": spec["phone"],
                "shipping_region_surcharges": spec.get("surcharges", REMOTE_SURCHARGES),
            },
        )
        if with_photos and not coop.logo:
            coop.logo.save(
                f"{coop.slug}.png",
                ContentFile(demo_art.render_logo(spec["slug"][:2].upper(), color=spec["color"])),
            )
        products = {}
        for pindex, p in enumerate(spec["products"]):
            texts = _product_texts(p)
            # The original columns hold the Chinese texts, whatever language is active.
            with translation.override(SOURCE_LANGUAGE):
                product, created = Product.objects.get_or_create(
                    slug=p.slug,
                    defaults={
                        "cooperative": coop,
                        "title": p.title,
                        "description": p.description,
                        **texts,
                        "category": categories[p.category],
                        "grade": p.grade,
                        "origin": p.origin,
                        "status": ProductStatus.ACTIVE,
                        "reviewed_by": admin or manager,
                        "farmer": farmer if coop.slug == "jeminay-golden-wheat" else None,
                    },
                )
            if not created:
                # A demo loaded before the translations: fill the empty ones (an edit
                # made since stays).
                missing = {
                    name: texts[name]
                    for name in PRODUCT_TRANSLATION_ARGS
                    if not getattr(product, name) and texts[name]
                }
                if missing:
                    product = services.product_update(product=product, **missing)
            products[p.slug] = product
            with transaction.atomic():
                opened = []
                for vindex, (sku, name, price, grams, stock) in enumerate(p.variants):
                    fields = {
                        "product": product,
                        "name": name,
                        "price": Decimal(price),
                        "weight_grams": grams,
                        "position": vindex,
                    }
                    if sku in BY_WEIGHT:
                        per_kg, estimate, buffer_bp = BY_WEIGHT[sku]
                        fields |= {
                            "pricing": Pricing.WEIGHT,
                            "price_per_kg": Decimal(per_kg),
                            "estimated_weight_grams": estimate,
                            "weight_buffer_bp": buffer_bp,
                        }
                    # A variant that exists keeps its stock (sales and receipts moved it).
                    variant, created = Variant.objects.update_or_create(
                        sku=sku, defaults=fields, create_defaults={**fields, "stock": stock}
                    )
                    if created:
                        opened.append(variant)
                # Opening stock is goods received, recorded like every stock change.
                stock_record_opening(variants=opened, note="demo opening stock")
            for code, harvested, milled, protein, moisture, ash, gluten in p.batches:
                Batch.objects.update_or_create(
                    code=code,
                    defaults={
                        "product": product,
                        "harvested_on": harvested,
                        "milled_on": milled,
                        "protein_pct": Decimal(protein),
                        "moisture_pct": Decimal(moisture),
                        "ash_pct": Decimal(ash),
                        "gluten_pct": Decimal(gluten),
                        "quantity_kg": 12000,
                    },
                )
            if with_photos and not product.images.exists():
                for n in range(2 if pindex == 0 else 1):
                    art = demo_art.render(
                        p.art,
                        seed=index * 100 + pindex * 10 + n,
                        label=spec["color"],
                        text=p.slug.split("-")[-1],
                    )
                    image = services.product_image_add(
                        product=product,
                        upload=ContentFile(art, name="demo.jpg"),
                        alt=p.title,
                    )
                    services.product_image_render_thumbnail(image_id=image.pk)
        for kind, number, issuer, valid_until, product_slug in spec["certifications"]:
            Certification.objects.update_or_create(
                kind=kind,
                number=number,
                defaults={
                    "issuer": issuer,
                    "valid_until": valid_until,
                    "cooperative": coop,
                    "product": products.get(product_slug) if product_slug else None,
                },
            )
        if coop.slug in JEMINAY_TEAM:
            services.membership_grant(user=manager, cooperative=coop, role=MembershipRole.MANAGER)
        if coop.slug == "jeminay-golden-wheat":
            services.membership_grant(
                user=farmer,
                cooperative=coop,
                role=MembershipRole.FARMER,
                registered_poor_household=True,
            )
    product_search_rebuild()
    return {
        **run_demo_extensions(),  # households etc. of the apps above (settings.DEMO_EXTENSIONS)
        "counties": County.objects.count(),
        "cooperatives": Cooperative.objects.count(),
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "batches": Batch.objects.count(),
    }
