"""Searching: one filter for the API's ``products/?search=`` and the product pages, and
the suggestions as a buyer types.

A product matches when every query word matches (at most five words):
- a Chinese word when the product holds all its bigrams (吉木乃 → 吉木, 木乃);
- any other word when it starts a token (``mianfen``, ``mian``, ``mf``, ``walnut``);
- a Latin word of five letters or more also when a token is close to it in trigram
  terms (``wallnut`` → ``walnut``, pg_trgm's word similarity, GIN-indexed).

Ranking (unless the request asks for another ``ordering``): the whole query found in the
title first (the exact phrase), then ``SearchRank`` of the weighted vector (title above
description), then trigram closeness, then the newest.

On SQLite (the embedded demo) the same rules run without full text: Chinese words are
matched as substrings of the normalised text, other words as token prefixes, and typos
against the index's vocabulary with ``difflib``; the ranking favours the title the same
way. The demo queries in the README find the same products first on both.
"""

from __future__ import annotations

import difflib
from functools import reduce
from operator import and_

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest

from ..models import ProductSearch
from .analysis import QueryWord, normalize, query_words

SUGGESTION_LIMIT = 8


def _exact_phrase(phrase: str) -> Case:
    """1 when the title holds the whole query as typed (the exact phrase ranks first)."""
    return Case(
        When(search__title_text__contains=phrase, then=1), default=0, output_field=IntegerField()
    )


def _tsquery(word: QueryWord) -> str:
    # Tokens are letters and digits only (analysis._WORD): nothing to escape.
    if word.chinese:
        return " & ".join(f"'{gram}'" for gram in word.required)
    return f"'{word.text}':*"


def _postgres(queryset: QuerySet, words: list[QueryWord], phrase: str) -> QuerySet:
    conditions, similarity = [], []
    for word in words:
        match = Q(search__document=SearchQuery(_tsquery(word), config="simple", search_type="raw"))
        if word.typo_candidate:
            match |= Q(search__terms__trigram_word_similar=word.text)
            similarity.append(TrigramWordSimilarity(word.text, "search__terms"))
        conditions.append(match)
    everything = SearchQuery(
        " & ".join(f"({_tsquery(w)})" for w in words), config="simple", search_type="raw"
    )
    closeness = (
        (Greatest(*similarity) if len(similarity) > 1 else similarity[0])
        if similarity
        else Value(0.0, output_field=FloatField())
    )
    return (
        queryset.filter(reduce(and_, conditions))
        .annotate(
            exact_phrase=_exact_phrase(phrase),
            rank=SearchRank(F("search__document"), everything),
            closeness=closeness,
        )
        .order_by("-exact_phrase", "-rank", "-closeness", "-created", "-id")
    )


def _vocabulary() -> list[str]:
    """The Latin tokens of the index (SQLite only: the demo's few dozen products)."""
    words: set[str] = set()
    for terms in ProductSearch.objects.values_list("terms", flat=True):
        words.update(t for t in terms.split() if t.isascii())
    return sorted(words)


def _fallback(queryset: QuerySet, words: list[QueryWord], phrase: str) -> QuerySet:
    conditions, title_hits = [], []
    vocabulary: list[str] | None = None
    for word in words:
        if word.chinese:
            match = Q(search__text__contains=word.text)
            title = Q(search__title_text__contains=word.text)
        else:
            match = Q(search__terms__contains=f" {word.text}")
            title = Q(search__title_terms__contains=f" {word.text}")
            if word.typo_candidate:
                vocabulary = _vocabulary() if vocabulary is None else vocabulary
                for close in difflib.get_close_matches(word.text, vocabulary, n=3, cutoff=0.8):
                    match |= Q(search__terms__contains=f" {close} ")
                    title |= Q(search__title_terms__contains=f" {close} ")
        conditions.append(match)
        title_hits.append(Case(When(title, then=1), default=0, output_field=IntegerField()))
    return (
        queryset.filter(reduce(and_, conditions))
        .annotate(
            exact_phrase=_exact_phrase(phrase),
            rank=reduce(lambda a, b: a + b, title_hits),
        )
        .order_by("-exact_phrase", "-rank", "-created", "-id")
    )


def _use_full_text() -> bool:
    return connection.vendor == "postgresql"


def product_search(queryset: QuerySet, query: str) -> QuerySet:
    """``queryset`` narrowed to the products matching ``query``, best first."""
    words = query_words(query)
    if not words:
        return queryset
    phrase = " ".join(normalize(query).split())
    if _use_full_text():
        return _postgres(queryset, words, phrase)
    return _fallback(queryset, words, phrase)


def search_suggest(queryset: QuerySet, query: str, *, limit: int = SUGGESTION_LIMIT) -> list:
    """Up to ``limit`` products for a search box that is being typed in, best first:
    ``[{"text": title, "product": slug}]``."""
    if not query_words(query):
        return []
    rows = product_search(queryset, query).values_list("title", "slug")[:limit]
    return [{"text": title, "product": slug} for title, slug in rows]


__all__ = ["product_search", "search_suggest"]
