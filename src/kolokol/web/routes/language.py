"""The language switcher: a POST form in every page header (so the page's address, which may hold
search words, goes in the form body and not into another URL); the choice is kept in a cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from kolokol.web.access import Anyone, cookie_secure
from kolokol.web.i18n import COOKIE, DEFAULT, LANGUAGES
from kolokol.web.routes.review import back_to

router = APIRouter(include_in_schema=False)


@router.post("/language")
def set_language(request: Request, user: Anyone, lang: Annotated[str, Form(max_length=8)] = DEFAULT,
                 next: Annotated[str, Form(max_length=600)] = "/") -> RedirectResponse:
    """Remember the interface language and go back to the page."""
    del user
    response = RedirectResponse(back_to(next, "/"), status_code=303)
    response.set_cookie(COOKIE, lang if lang in LANGUAGES else DEFAULT, max_age=365 * 86400, path="/",
                        httponly=True, samesite="strict", secure=cookie_secure(request))
    return response
