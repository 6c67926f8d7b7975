"""Operators only. The API takes `Authorization: Bearer <OPERATOR_TOKEN>`; the pages take a
session cookie set by the login form: an expiry and its HMAC under the operator token (so
changing the token logs everyone out), HttpOnly, SameSite=Strict. Forms also carry a CSRF token
derived from the cookie."""

import hashlib
import hmac
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

COOKIE = "kerjalokal_console"
_bearer = HTTPBearer(auto_error=False)


class LoginRequired(Exception):
    def __init__(self, path: str) -> None:
        self.path = path


def _secret(request: Request) -> bytes:
    token: str = request.app.state.settings.operator_token.get_secret_value()
    return token.encode()


def _sign(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def session_cookie(request: Request) -> tuple[str, int]:
    hours = request.app.state.settings.session_hours
    expires = int(time.time() + hours * 3600)
    return f"{expires}.{_sign(_secret(request), f'session:{expires}')}", int(hours * 3600)


def token_matches(request: Request, token: str) -> bool:
    return bool(token) and hmac.compare_digest(token.encode(), _secret(request))


def _valid_cookie(request: Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    expires, _, signature = value.partition(".")
    if not expires.isdigit() or int(expires) < time.time():
        return None
    expected = _sign(_secret(request), f"session:{expires}")
    return value if hmac.compare_digest(signature, expected) else None


def csrf_token(request: Request) -> str:
    return _sign(_secret(request), f"csrf:{request.cookies.get(COOKIE, '')}")


def api_operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials and token_matches(request, credentials.credentials):
        return "operator"
    if _valid_cookie(request):
        return "operator"
    raise HTTPException(
        401,
        "Butuh token operator yang sah / a valid operator token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


def page_operator(request: Request) -> str:
    if _valid_cookie(request):
        return "operator"
    raise LoginRequired(request.url.path)


async def form_operator(request: Request) -> str:
    """A page form post: the session cookie and the CSRF token it was rendered with."""
    page_operator(request)
    form = await request.form()
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf_token(request)):
        raise HTTPException(
            403, "Formulir kedaluwarsa, muat ulang halaman / stale form, reload the page"
        )
    return "operator"


ApiOperator = Annotated[str, Depends(api_operator)]
PageOperator = Annotated[str, Depends(page_operator)]
FormOperator = Annotated[str, Depends(form_operator)]
