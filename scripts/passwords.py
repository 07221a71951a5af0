"""Passwords: read from a stream, checked for length, hashed with Argon2id and verified.

A password lives only in the caller's variables for as long as one command runs: it is never
an argument, never logged and never stored; storage keeps the hash this module makes. The
parameters are RFC 9106's second recommended set (64 MiB, 3 passes, 4 lanes), which argon2-cffi
also uses by default; :func:`verify` also answers a fresh hash when the stored one was made with
weaker parameters, for the caller to store in its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from common.errors import InputError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # hashing cost does not grow with length, but nobody types more

HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


@dataclass(frozen=True)
class Verdict:
    """How a password compared with a stored hash; ``new_hash`` is set when the password was
    right and the stored hash was made with older parameters (store it instead)."""

    ok: bool
    new_hash: str | None = None


def read_password(stream: TextIO) -> str:
    """The password on ``stream`` (its first line, without the line ending), length-checked."""
    # One more character than allowed is enough to tell it is too long without reading a
    # hostile stream to its end.
    try:
        line = stream.readline(MAX_LENGTH + 2)
    except UnicodeDecodeError:
        raise InputError("password: not valid text in the terminal's encoding (UTF-8)") from None
    password = line.removesuffix("\n").removesuffix("\r")
    check_password(password)
    return password


def check_password(password: str) -> None:
    """Refuse a password that is too short, too long, or holds control characters."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"password: at least {MIN_LENGTH} characters, got {len(password)}")
    if len(password) > MAX_LENGTH:
        raise InputError(f"password: at most {MAX_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise InputError("password: control characters (line breaks, tabs, ...) are not allowed")
    if any("\ud800" <= ch <= "\udfff" for ch in password):
        # What a standard input in surrogateescape mode makes of bytes that are not UTF-8.
        raise InputError("password: not valid text in the terminal's encoding (UTF-8)")


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` with a fresh random salt."""
    return HASHER.hash(password)


def verify(stored_hash: str, password: str) -> Verdict:
    """Whether ``password`` matches ``stored_hash``; a damaged hash never matches."""
    try:
        HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Verdict(ok=False)
    if HASHER.check_needs_rehash(stored_hash):
        return Verdict(ok=True, new_hash=HASHER.hash(password))
    return Verdict(ok=True)
