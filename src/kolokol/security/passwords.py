"""Password hashing with argon2id (RFC 9106, OWASP ASVS 5.0 V11.4): 64 MiB, 3 passes, 1 lane.

Hashes are PHC strings (``$argon2id$v=19$m=65536,t=3,p=1$...``), so the parameters travel with the
hash and can be raised later: `needs_rehash` tells the login code to re-hash on the next success.
Verifying against a fixed dummy hash when the username is unknown keeps both answers equally slow.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kolokol.errors import KolokolError

TIME_COST = 3
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 1
MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; this only bounds the work an attacker can ask for

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM,
                         hash_len=32, salt_len=16, type=Type.ID)


class PasswordError(KolokolError):
    code = "password"


def check_password_policy(password: str, username: str | None = None) -> None:
    """ASVS 5.0 V6.2: at least 12 characters, any characters allowed (spaces, Unicode), no
    composition rules; refuse the username itself and obvious fillers."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"the password is shorter than {MIN_LENGTH} characters",
                            hint="use a passphrase of several words")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"the password is longer than {MAX_LENGTH} characters")
    if username and password.strip().casefold() == username.strip().casefold():
        raise PasswordError("the password is the username")
    if len(set(password)) < 4:
        raise PasswordError("the password repeats too few characters", hint="use a passphrase of several words")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Constant-time check; False for a wrong password or a malformed hash (never raises)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("kolokol: no such account, same amount of work")


def burn_time(password: str) -> None:
    """Spend the work of one verification, for logins naming an unknown account."""
    verify_password(_dummy_hash(), password)
