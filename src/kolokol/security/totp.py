"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), with the
``cryptography`` package. A code is accepted one step early or late (clock drift) and each step only
once per account (`users.totp_last_step`), so a code seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from urllib.parse import quote

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

DIGITS = 6
STEP_SECONDS = 30
WINDOW = 1  # steps accepted on either side of the current one
ISSUER = "Kolokol"


def new_secret() -> str:
    """A random 160-bit secret, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def _totp(secret: str) -> TOTP:
    return TOTP(_key(secret), DIGITS, SHA1(), STEP_SECONDS, enforce_key_length=False)  # RFC 6238 is SHA-1


def step_at(when: float) -> int:
    return int(when // STEP_SECONDS)


def code_at(secret: str, when: float) -> str:
    """The code an authenticator shows at unix time `when` (tests and enrolment checks)."""
    return _totp(secret).generate(int(when)).decode("ascii")


def verify(secret: str, code: str, when: float, last_step: int | None) -> int | None:
    """The step `code` belongs to, if it is right for `when` (±WINDOW steps) and newer than
    `last_step`; else None. Compares in constant time."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    otp = _totp(secret)
    now = step_at(when)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        expected = otp.generate(step * STEP_SECONDS)
        if hmac.compare_digest(expected, code.encode("ascii")) and (last_step is None or step > last_step):
            found = step if found is None else found
    return found


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app imports (type it in, or make a QR code offline)."""
    return (f"otpauth://totp/{quote(ISSUER)}:{quote(account)}?secret={secret}&issuer={quote(ISSUER)}"
            f"&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}")
