"""CTP01 authentication strings (ctp01.md §2.3), for both ends.

The server sends ``authentication=<method>`` and ``authentication-seed=<seed>``; the client
answers ``authorize~<user>~<digest(method, seed, password)>``. HMACs key on the password
and sign the seed; the ``seed-*`` methods hash ``seed + password``. Digests compare
case-insensitively and in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from p88.errors import ConfigError

__all__ = ["METHODS", "digest", "new_seed", "verify"]

METHODS = ("plaintext", "hmac-sha1", "hmac-md5", "seed-sha1", "seed-md5")


def digest(method: str, seed: str, password: str) -> str:
    """The authentication string a client sends for ``method``.

    >>> digest("seed-sha1", "7f3a9c21e4b84d0a", "secret")
    '1327055cee2a34660642b1e528e3e449829cf376'
    """
    if method == "plaintext":
        return password
    if method in ("hmac-sha1", "hmac-md5"):
        algo = method.split("-")[1]
        return hmac.new(password.encode(), seed.encode(), algo).hexdigest()
    if method in ("seed-sha1", "seed-md5"):
        return hashlib.new(method.split("-")[1], (seed + password).encode()).hexdigest()
    raise ConfigError(f"unknown CTP01 authentication method {method!r}")


def verify(method: str, seed: str, password: str, received: str) -> bool:
    """Whether ``received`` is the right authentication string (hex case-insensitive)."""
    expected = digest(method, seed, password)
    if method != "plaintext":
        expected, received = expected.lower(), received.lower()
    return hmac.compare_digest(expected.encode(), received.encode())


def new_seed() -> str:
    """A fresh random seed: one per connection, so a captured digest cannot be replayed."""
    return secrets.token_hex(8)
