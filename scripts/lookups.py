"""Finding a customer by the domain a user typed (``ascent explain`` and ``ascent sources``)."""

from __future__ import annotations

from common.errors import InputError, NotFoundError


class NoSuchCustomer(NotFoundError):
    """No stored customer has this domain."""

    def __init__(self, domain: str):
        super().__init__(f"no customer with domain {domain}")
        self.domain = domain


def domain_argument(typed: str) -> str:
    """The registrable domain in what a user typed (a URL or a host will do); InputError
    naming what was typed when there is none."""
    from intent.domains import DomainError, normalise_domain

    try:
        return normalise_domain(typed)
    except DomainError as exc:
        raise InputError(f"{typed!r} {exc}") from exc
