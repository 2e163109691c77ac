"""The interface in English and Russian (content, such as report text and names, stays in its own
language).

Messages are marked in templates with `_("...")` (and `ngettext`); the catalogue
`locales/ru/LC_MESSAGES/messages.po` is read with Babel when the app starts and compiled in memory,
so there is no build step and no .mo file to forget. The language of a request comes from the
`kolokol-lang` cookie (set by the switcher in the page header, a POST form: nothing goes into a
URL), else from Accept-Language, else English; it lives in a context variable for the templates.

Extracting the messages again after changing templates (docs/web.md, "Languages", is the
reference; keep the two in step):
    .venv/bin/pybabel extract --no-location -F src/kolokol/web/babel.cfg -o /tmp/messages.pot src/kolokol/web
    .venv/bin/pybabel update -N -w 120 -i /tmp/messages.pot -d src/kolokol/web/locales
(without source locations and wrapped at 120 columns, as the catalogue is kept; -N stops Babel
guessing a translation for a new message from an old one). tests/web/test_i18n.py fails when a
template message has no Russian translation.
"""

from __future__ import annotations

import contextvars
import gettext
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT = "en"
COOKIE = "kolokol-lang"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("kolokol_language", default=DEFAULT)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language` (English: the messages themselves)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def current_language() -> str:
    return _current.get()


def use_language(language: str) -> contextvars.Token[str]:
    return _current.set(language if language in LANGUAGES else DEFAULT)


def gettext_(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pick_language(cookie: str | None, accept: str | None) -> str:
    """The cookie's language if known, else the best of Accept-Language, else English."""
    if cookie in LANGUAGES:
        return cookie  # type: ignore[return-value]
    best: tuple[float, str] | None = None
    for part in (accept or "").split(",")[:20]:
        tag, _sep, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if code in LANGUAGES and quality > 0 and (best is None or quality > best[0]):
            best = (quality, code)
    return best[1] if best else DEFAULT


class LanguageMiddleware:
    """Sets the request's language (pure ASGI, so the context variable reaches the endpoint)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        cookies = {}
        for item in headers.get("cookie", "").split(";"):
            name, _sep, value = item.strip().partition("=")
            cookies[name] = value
        token = use_language(pick_language(cookies.get(COOKIE), headers.get("accept-language")))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def install(env: Any) -> None:
    """Per-request translations in a Jinja environment (with the i18n extension)."""
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)
    env.globals.update(current_language=current_language, languages=LANGUAGES)

