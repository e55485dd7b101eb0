"""Product search: Chinese word segmentation, pinyin, PostgreSQL full text and trigrams.

- ``analysis``: text → index tokens (jieba words, CJK bigrams and single characters,
  pinyin and pinyin initials of each word, Latin words) and query words → matching rules;
- ``index``: the ``ProductSearch`` rows, written by the product services at save time
  and by ``manage.py search_rebuild``;
- ``query``: the one filter the API and the pages use, ranked, and the suggestions.
"""
