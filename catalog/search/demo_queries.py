"""The 20 demo queries of the README and the product each returns first on the demo data.

``scripts/search_demo_table.py`` prints the README's table from a real run; the tests
check both PostgreSQL and the SQLite fallback against this list."""

DEMO_QUERIES: list[tuple[str, str]] = [
    ("面粉", "jeminay-stone-ground"),
    ("mianfen", "jeminay-stone-ground"),
    ("mf", "jeminay-stone-ground"),
    ("吉木乃 面粉", "jeminay-stone-ground"),
    ("jimunai", "jeminay-snowflake"),
    ("jmn", "jeminay-snowflake"),
    ("新疆", "jeminay-snowflake"),
    ("shimo", "jeminay-stone-ground"),
    ("bread flour", "jeminay-bread-flour"),
    ("核桃", "yangbi-walnuts"),
    ("hetao", "yangbi-walnuts"),
    ("wallnut", "yangbi-walnuts"),
    ("蜂蜜", "chengkou-wild-honey"),
    ("fengmi", "chengkou-wild-honey"),
    ("honey", "chengkou-wild-honey"),
    ("hongcha", "leishan-black-tea"),
    ("茶", "leishan-black-tea"),
    ("potatos", "weiyuan-potatoes"),
    ("dami", "horqin-japonica-rice"),
    ("apricot", "yangbi-dried-apricots"),
    # The English and Uyghur titles and descriptions are indexed too (issue 17).
    ("whole wheat", "jeminay-whole-wheat"),
    ("قار ئۇنى", "jeminay-snowflake"),
]
