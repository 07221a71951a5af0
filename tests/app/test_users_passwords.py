"""Password hashing: Argon2id with RFC 9106's parameters, salted, verified, and rehashed when
a stored hash was made with weaker parameters; passwords read from a stream and length-checked."""

from __future__ import annotations

import io

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from common.errors import InputError
from scripts.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, read_password, verify

PASSWORD = "correct horse battery staple"


def test_hashes_are_argon2id_with_rfc_9106_parameters_and_a_fresh_salt() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    params = extract_parameters(first)
    assert params.type is Type.ID
    assert params.memory_cost >= 64 * 1024  # KiB
    assert params.time_cost >= 3
    assert params.parallelism >= 1
    assert params.salt_len >= 16 and params.hash_len >= 32
    assert first != second  # salted
    assert PASSWORD not in first


def test_verify_accepts_the_password_and_nothing_else() -> None:
    stored = hash_password(PASSWORD)
    assert verify(stored, PASSWORD).ok
    assert verify(stored, PASSWORD).new_hash is None
    assert not verify(stored, PASSWORD + " ").ok
    assert not verify(stored, PASSWORD.upper()).ok
    assert not verify("not a hash", PASSWORD).ok
    assert not verify(stored[:-4], PASSWORD).ok


def test_a_hash_with_weaker_parameters_is_replaced_on_a_good_password() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    verdict = verify(weak, PASSWORD)
    assert verdict.ok and verdict.new_hash is not None
    assert extract_parameters(verdict.new_hash).memory_cost >= 64 * 1024
    assert verify(verdict.new_hash, PASSWORD).ok
    assert verify(weak, "wrong password!").new_hash is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * MIN_LENGTH + "\n", "a" * MIN_LENGTH),
        ("b" * MAX_LENGTH, "b" * MAX_LENGTH),
        (PASSWORD + "\r\nsecond line ignored\n", PASSWORD),
        ("  spaces count  \n", "  spaces count  "),
    ],
)
def test_the_first_line_is_the_password(text: str, expected: str) -> None:
    assert read_password(io.StringIO(text)) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a" * (MIN_LENGTH - 1), "at least 12"),
        ("", "at least 12"),
        ("b" * (MAX_LENGTH + 1), "at most 1024"),
        ("b" * 1_000_000, "at most 1024"),
        ("nul\x00in the middle", "control characters"),
    ],
)
def test_bad_passwords_are_refused(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        read_password(io.StringIO(text))


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])  # the latter: sys.stdin's own
def test_bytes_that_are_not_text_are_refused_not_a_traceback(errors: str) -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"\xff\xfe not utf-8 at all\n"), encoding="utf-8", errors=errors)
    with pytest.raises(InputError, match="not valid text"):
        read_password(stream)
