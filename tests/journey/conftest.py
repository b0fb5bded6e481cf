"""The journey tests use the browser tests' stack: the API, the pump, the web server and Chromium."""
from tests.browser.conftest import browser, new_context, web  # noqa: F401  (fixtures)
