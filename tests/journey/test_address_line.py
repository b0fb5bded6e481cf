"""Issue 14, what an on-site visit needs: a customer who types her whole address into the one
"postcode or address" field ("Witikonerstrasse 15, 8053 Zürich") finds her place and finds her
street already in the street field, where the helper reads it; a postcode alone fills nothing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.journey.paths import open_page
from tests.journey.words import words

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.mark.parametrize("typed, street", [("Witikonerstrasse 15, 8053 Zürich", "Witikonerstrasse 15"),
                                           ("8053", "")])
def test_a_street_typed_with_the_postcode_lands_in_the_street_field(new_context, web, typed, street):
    W = words()["fr"]
    page = open_page(new_context, "fr")
    page.goto("/book")
    page.get_by_text(W["cat_printer"], exact=True).click()
    page.get_by_role("button", name=W["next"]).click()
    page.get_by_label(W["q_describe"]).fill("L'imprimante clignote en rouge")
    page.get_by_label(W["postcode"]).fill(typed)
    page.get_by_role("button", name=W["find"], exact=True).click()
    expect(page.get_by_label(W["street"])).to_be_visible()
    expect(page.get_by_label(W["street"])).to_have_value(street)
