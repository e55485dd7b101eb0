"""The API's JSON parser: DRF's, with the nesting cap of ``storefront.jsonsafe``."""

from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from storefront import jsonsafe


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return jsonsafe.loads(
                text, parse_constant=drf_json.strict_constant if self.strict else None
            )
        except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError, JsonTooDeep
            raise ParseError(f"JSON parse error - {exc}") from None
