"""Admission and login throttling as pure bookkeeping (the socket tests are in
test_listener_slow_clients.py)."""

from __future__ import annotations

from p88.protocol.admission import Admission, AdmissionConfig

CFG = AdmissionConfig(max_connections=6, max_pending=4, max_pending_per_address=2,
                      max_per_address=3, delay=0.5, max_delay=2.0, max_failures=4,
                      window=60, lockout=30)  # fmt: skip


def test_pending_connections_are_limited_per_address_and_the_oldest_makes_room() -> None:
    adm = Admission(CFG)
    links = [("a1", "10.0.0.1", False, 1.0), ("a2", "10.0.0.1", False, 2.0)]
    refused = adm.decide("10.0.0.1", links, 3.0)
    assert not refused.admit and "unfinished handshakes" in refused.reason
    links += [("b1", "10.0.0.2", False, 0.5), ("b2", "10.0.0.2", False, 2.5)]
    newcomer = adm.decide("10.0.0.9", links, 3.0)  # pending room used up: evict the oldest
    assert newcomer.admit and newcomer.evict == "b1"
    done = [(f"e{i}", "10.0.0.5", True, 0.0) for i in range(3)]
    assert "3 connections" in adm.decide("10.0.0.5", done, 3.0).reason
    full = [(f"x{i}", f"10.0.1.{i}", True, 0.0) for i in range(6)]
    assert not adm.decide("10.0.0.7", full, 3.0).admit  # nothing unfinished to evict


def test_failed_logins_wait_longer_each_time_then_lock_the_address_out() -> None:
    adm = Admission(CFG)
    delays = [adm.failed_login("10.0.0.1", "x", float(t)) for t in range(3)]
    assert delays == [0.5, 1.0, 2.0]
    assert adm.decide("10.0.0.1", [], 3.0).admit
    assert adm.failed_login("10.0.0.1", "x", 3.0) == 2.0  # capped; the 4th locks it out
    locked = adm.decide("10.0.0.1", [], 4.0)
    assert not locked.admit and "locked out" in locked.reason
    assert adm.decide("10.0.0.2", [], 4.0).admit  # other addresses are not affected
    assert adm.decide("10.0.0.1", [], 34.0).admit  # the lockout ends
