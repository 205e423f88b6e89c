"""Passwords and API tokens: what is shown once and what is kept.

Passwords are kept as argon2id hashes (argon2-cffi's defaults: 64 MiB, 3 passes). A one-time
password, an API token: random, shown once, never stored in the clear. Tokens are kept as
SHA-256 digests — they are long random strings, so a fast digest is enough and lets a request
find its token by an indexed look-up.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "tnr_"  # noqa: S105  (a marker, not a secret)
MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing is slow on purpose; a megabyte "password" is an attack
_HASHER = PasswordHasher()


def length_problem(password: str) -> str | None:
    """Return what is wrong with a new password's length, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _HASHER.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Tell whether ``password`` matches the ``stored`` hash (never raises)."""
    if not stored:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _decoy() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def spend_like_a_check(password: str) -> None:
    """Take as long as checking a password: "no such user" must not answer faster."""
    password_matches(_decoy(), password)


def needs_rehash(stored: str) -> bool:
    """Tell whether a hash was made with weaker settings than today's."""
    return _HASHER.check_needs_rehash(stored)


def one_time_password() -> str:
    """Return a random password to hand to a new user (about 100 bits, easy to type)."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def new_token() -> str:
    """Return a new API token (256 random bits, prefixed so that leaks are recognisable)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the digest a token is kept and looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()
