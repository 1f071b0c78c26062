"""The page a failed sign-in at an agency's provider ends on (authserver/oidc_login.py):
in the reader's language, in the web application's frame, under a CSP that allows only
our own stylesheet and icon, and without language links (they would repeat the
callback's query)."""

from __future__ import annotations

import pytest

#: What the page says when the provider named in the callback does not exist.
NO_SUCH = {
    "sv": "Det finns ingen sådan inloggningstjänst.",
    "nb": "Det finnes ingen slik innloggingstjeneste.",
    "en": "No such sign-in provider.",
}
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
def test_a_failed_sign_in_is_told_in_the_reader_s_language_and_frame(client, lang):
    page = client.get("/oauth/login/nosuch/callback?state=s&code=c", headers={"Accept-Language": lang})
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert f'<p role="alert" class="error">{NO_SUCH[lang]}</p>' in html
    assert f'<html lang="{lang}">' in html and "tillit.css" in html
    assert page.headers["Content-Security-Policy"] == CSP
    assert 'class="langs"' not in html and "code=c" not in html and "state=s" not in html
