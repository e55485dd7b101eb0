"""Turning text into search tokens, the same way for products and for queries.

Why these tokens:

- **Bigrams and single characters** of every run of Chinese characters make matching
  independent of how a sentence was segmented: "吉木乃" matches "吉木乃石磨面粉" because
  both contain the bigrams 吉木 and 木乃, whatever word boundaries a segmenter would draw.
- **Words** from jieba's search mode (``rjieba``: the Rust port of jieba, same dictionary
  and algorithm, about ten times faster to load and cut than the pure-Python ``jieba``,
  and no cache file written to /tmp) give the units whose **pinyin** buyers type:
  面粉 → ``mianfen`` and its initials ``mf``; 吉木乃 → ``jimunai``, ``jmn``. Place names of
  the GB/T 2260 table are added to the dictionary so counties stay one word.
- **Latin words** (English text, SKUs, pinyin typed by the seller) are kept as they are,
  plus the singular of a plural (``walnuts`` → ``walnut``), so a typo of either is close
  to a token in trigram terms.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK}]+")
_WORD = re.compile(r"[^\W_]+")
_LATIN = re.compile(r"^[0-9a-z]+$")
_PLACE_SUFFIXES = ("自治县", "自治旗", "县", "市", "区", "旗")

# Longer Latin query words that match nothing exactly are tried as typos (pg_trgm).
TYPO_MIN_LENGTH = 5


def normalize(text: str) -> str:
    """NFKC (full-width Ｍ → M, ６ → 6) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


@cache
def _segmenter():
    import rjieba

    from regions.selectors import region_children

    jieba = rjieba.Jieba()
    # County and city names stay whole words, with and without their suffix.
    stack = list(region_children(None))
    while stack:
        region = stack.pop()
        stack.extend(region_children(region.code))
        names = {region.name}
        for suffix in _PLACE_SUFFIXES:
            if region.name.endswith(suffix) and len(region.name) - len(suffix) >= 2:
                names.add(region.name[: -len(suffix)])
        for name in names:
            jieba.add_word(name, None, None)
    return jieba


def _pinyin(word: str) -> tuple[str, str]:
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(word, errors="ignore")
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    return full, initials


def _split(text: str) -> list[tuple[str, bool]]:
    """Runs of the text: (run, is_chinese)."""
    runs: list[tuple[str, bool]] = []
    for word in _WORD.findall(normalize(text)):
        position = 0
        for match in _CJK_RUN.finditer(word):
            if match.start() > position:
                runs.append((word[position : match.start()], False))
            runs.append((match.group(), True))
            position = match.end()
        if position < len(word):
            runs.append((word[position:], False))
    return runs


def _singular(word: str) -> str | None:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and _LATIN.match(word):
        return word[:-1]
    return None


def tokens(text: str) -> list[str]:
    """Index tokens of ``text``, in order of first appearance, each once."""
    found: dict[str, None] = {}

    def add(token: str) -> None:
        if token:
            found.setdefault(token, None)

    for run, chinese in _split(text):
        if not chinese:
            add(run)
            add(_singular(run) or "")
            continue
        words = [w for w in _segmenter().cut_for_search(run) if len(w) >= 2]
        bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
        for char in run:
            add(char)
        for word in words:
            add(word)
        # Pinyin of the words, of every bigram (most Chinese words are two characters,
        # whatever the segmenter made of them) and of a short run as a whole.
        for unit in (*words, *bigrams, *([run] if 2 < len(run) <= 6 else [])):
            add(unit)
            full, initials = _pinyin(unit)
            add(full)
            add(initials)
    return list(found)


@dataclass(frozen=True)
class QueryWord:
    """One word of a query and the tokens that must all be in a product to match it."""

    text: str
    chinese: bool
    required: tuple[str, ...]  # for Chinese: its bigrams (or the character); else the word

    @property
    def typo_candidate(self) -> bool:
        return not self.chinese and len(self.text) >= TYPO_MIN_LENGTH


def query_words(query: str, *, limit: int = 5) -> list[QueryWord]:
    """The words of a query (at most ``limit``): 吉木乃 面粉 → two words, 吉木乃面粉 → one."""
    words: list[QueryWord] = []
    for run, chinese in _split(query):
        if chinese:
            grams = tuple(run[i : i + 2] for i in range(len(run) - 1)) or (run,)
            words.append(QueryWord(text=run, chinese=True, required=grams))
        else:
            words.append(QueryWord(text=run, chinese=False, required=(run,)))
    return words[:limit]
