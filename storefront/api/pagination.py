"""Page-number pagination: ``page`` and ``page_size`` (at most 100, API.md)."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """``page_size`` above 100, zero, negative or not a number answers 400 ``invalid``.

    Silently capping would hand a client asking for 10000 rows a page of 100 and a
    ``count`` that looks like a bug; a clear refusal is easier to build against.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Must be a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size
