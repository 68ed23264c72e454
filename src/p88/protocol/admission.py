"""Who may connect to the CTP01 server, and how fast a wrong password may be retried.

One laptop on the race LAN must not be able to lock the timing system out, by opening
sockets or by guessing passwords. Connections that have not finished their handshake
(greeting, and login when authentication is on) are *pending*; they are the cheap ones to
open and hold, so they are limited per address (``max_pending_per_address``, beyond which
that address is refused) and in total (``max_pending``). A connection that arrives when
the server is full, or when the pending room is used up, evicts the oldest pending
connection instead of being refused: the real controller finishes its handshake in
milliseconds and is admitted whenever fewer than ``max_connections`` links have finished
theirs. ``max_per_address`` bounds everything one address holds.

Failed logins are counted per address over ``window`` seconds: each failure waits
``delay * 2**(n-1)`` seconds (at most ``max_delay``) before the refusal is sent and the
socket closed, and after ``max_failures`` the address is refused outright for
``lockout`` seconds. Failures and refusals are logged in summary (the first one, then
one line per address every ``summary_every`` seconds), never one line per attempt.

Pure bookkeeping with a clock passed in; :mod:`p88.protocol.tcp` applies the answers.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Admission", "AdmissionConfig", "Decision"]

log = logging.getLogger("p88.listen")


@dataclass(frozen=True)
class AdmissionConfig:
    """Connection limits and login throttling; the defaults are race-day defaults."""

    max_connections: int = 256
    max_pending: int = 128
    max_pending_per_address: int = 48
    max_per_address: int = 128
    delay: float = 0.5
    max_delay: float = 8.0
    max_failures: int = 10
    window: float = 300.0
    lockout: float = 60.0
    summary_every: float = 10.0


@dataclass(frozen=True)
class Decision:
    """Admit (``evict`` may name a pending link to close first) or refuse with a reason."""

    admit: bool
    reason: str = ""
    evict: object | None = None


@dataclass
class _Peer:
    failures: deque[float] = field(default_factory=deque)
    users: set[str] = field(default_factory=set)
    locked_until: float = 0.0
    unlogged_failures: int = 0
    unlogged_refusals: int = 0
    last_logged: float = float("-inf")
    reason: str = ""


class Admission:
    """Decides admissions and login delays; the caller describes its links each time."""

    def __init__(self, config: AdmissionConfig) -> None:
        self.config = config
        self._peers: dict[str, _Peer] = {}

    def decide(
        self, ip: str, links: Iterable[tuple[object, str, bool, float]], now: float
    ) -> Decision:
        """May a new connection from ``ip`` come in? ``links`` are the open ones as
        (link, address, handshake done, connected at)."""
        cfg = self.config
        peer = self._peers.get(ip)
        if peer is not None and now < peer.locked_until:
            return self._refuse(ip, now, f"locked out after {cfg.max_failures} failed logins")
        total = pending = mine = mine_pending = 0
        oldest: tuple[float, object] | None = None
        for link, addr, done, since in links:
            total += 1
            mine += addr == ip
            if not done:
                pending += 1
                mine_pending += addr == ip
                if oldest is None or since < oldest[0]:
                    oldest = (since, link)
        if mine >= cfg.max_per_address:
            return self._refuse(ip, now, f"{mine} connections from this address already")
        if mine_pending >= cfg.max_pending_per_address:
            return self._refuse(ip, now, f"{mine_pending} unfinished handshakes from it already")
        if total >= cfg.max_connections or pending >= cfg.max_pending:
            if oldest is None:
                return self._refuse(ip, now, f"{total} connections already")
            return Decision(True, "evicted to make room for a new connection", oldest[1])
        return Decision(True)

    def failed_login(self, ip: str, user: str, now: float) -> float:
        """Count a failed login; the seconds to wait before refusing it."""
        cfg = self.config
        peer = self._peers.setdefault(ip, _Peer())
        while peer.failures and now - peer.failures[0] > cfg.window:
            peer.failures.popleft()
        peer.failures.append(now)
        peer.users.add(user[:40])
        peer.unlogged_failures += 1
        count = len(peer.failures)
        if count >= cfg.max_failures:
            peer.locked_until = now + cfg.lockout
            log.warning(
                "%d failed logins from %s in %.0f s (users: %s): refusing it for %.0f s",
                count, ip, cfg.window, ", ".join(sorted(peer.users)[:5]), cfg.lockout,
            )  # fmt: skip
            peer.failures.clear()
            peer.users.clear()
            peer.unlogged_failures = 0
            peer.last_logged = now
        elif now - peer.last_logged >= cfg.summary_every:
            log.warning(
                "%d failed login(s) from %s (users: %s)",
                peer.unlogged_failures, ip, ", ".join(sorted(peer.users)[:5]),
            )  # fmt: skip
            peer.unlogged_failures = 0
            peer.last_logged = now
        return float(min(cfg.delay * 2 ** (count - 1), cfg.max_delay))

    def _refuse(self, ip: str, now: float, reason: str) -> Decision:
        peer = self._peers.setdefault(ip, _Peer())
        peer.unlogged_refusals += 1
        if now - peer.last_logged >= self.config.summary_every or reason != peer.reason:
            log.warning("refused %d connection(s) from %s: %s", peer.unlogged_refusals, ip, reason)
            peer.unlogged_refusals = 0
            peer.last_logged = now
            peer.reason = reason
        return Decision(False, reason)

    def forget_idle(self, now: float) -> None:
        """Log what is left unlogged once an address has been quiet for ``summary_every``;
        drop the bookkeeping of addresses with nothing recent (bounded memory)."""
        cfg = self.config
        for ip, p in list(self._peers.items()):
            if now - p.last_logged >= cfg.summary_every:
                if p.unlogged_failures:
                    log.warning("%d failed login(s) from %s (users: %s)", p.unlogged_failures,
                                ip, ", ".join(sorted(p.users)[:5]))  # fmt: skip
                if p.unlogged_refusals:
                    log.warning("refused %d connection(s) from %s: %s", p.unlogged_refusals,
                                ip, p.reason)  # fmt: skip
                if p.unlogged_failures or p.unlogged_refusals:
                    p.unlogged_failures = p.unlogged_refusals = 0
                    p.last_logged = now
            quiet = not p.failures or now - p.failures[-1] > cfg.window
            if now >= p.locked_until and quiet and now - p.last_logged > cfg.window:
                del self._peers[ip]
