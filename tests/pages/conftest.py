import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_pages(settings):
    """Pages render in English unless a test asks for another language (assertions read it)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
