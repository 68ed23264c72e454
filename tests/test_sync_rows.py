"""The sync's pure parts: participant rows, the high-water mark, what a push sends."""

from __future__ import annotations

from datetime import date, timedelta
from inspect import ismodule
from typing import Any

import pytest

import p88.sync
from p88.errors import ConfigError
from p88.store.results.agegroups import AgeGroups
from p88.sync import Credentials, RunSignUp, SyncError
from p88.sync.http import participant_rows
from p88.sync.pull import _high_water
from p88.sync.registrations import Registration, parse_participants
from p88.sync.results_rows import changed_rows, clock_text
from p88.sync.state import Link

DAY = date(2026, 6, 7)


def person(reg: int, bib: Any = 7, modified: int = 100, **user: Any) -> dict[str, Any]:
    base = {"first_name": "Ana", "last_name": "Silva", "gender": "F", "dob": "1990-06-08",
            "address": {"city": "Hartford", "state": "CT", "country_code": "US"}}  # fmt: skip
    return {"registration_id": reg, "bib_num": bib, "chip_num": None, "age": None,
            "last_modified": modified, "user": {**base, **user}}  # fmt: skip


def test_exported_members() -> None:
    public = {n for n, v in vars(p88.sync).items() if not n.startswith("_") and not ismodule(v)}
    assert sorted(p88.sync.__all__) == sorted(public)


def test_a_participant_becomes_an_import_row() -> None:
    (reg,) = parse_participants([person(11, bib=42)], 3, DAY, AgeGroups())
    row = reg.row
    assert row is not None
    assert (row["bib"], row["external_id"], row["sex"], row["tag"]) == ("42", "11", "F", None)
    assert (row["age"], row["birth_year"], row["age_group"]) == (35, 1990, "35-39")  # a day short
    assert (row["city"], row["state"], row["country"]) == ("Hartford", "CT", "US")


def test_no_bib_yet_is_kept_without_a_row_and_bad_rows_are_named() -> None:
    (reg,) = parse_participants([person(1, bib=None)], 3, DAY, AgeGroups())
    assert reg.row is None and reg.fingerprint == "no-bib"
    with pytest.raises(SyncError) as info:
        parse_participants(
            [person(1), person(2, first_name=""), person(3, gender="?"), person(4, bib="x" * 17)],
            3, DAY, AgeGroups(),
        )  # fmt: skip
    assert str(info.value).startswith("3 RunSignUp participant(s) cannot be imported")
    assert "registration 2: no first and last name" in str(info.value)
    assert "registration 3: sex '?' is not M, F or X" in str(info.value)
    assert "registration 4: bib 'xxxxxxxxxxxxxxxxx' is longer than 16" in str(info.value)


def test_a_registration_seen_twice_keeps_its_latest_version() -> None:
    regs = parse_participants([person(1, bib=5, modified=200), person(1, bib=6, modified=100)],
                              3, DAY, AgeGroups())  # fmt: skip
    assert [r.row["bib"] for r in regs if r.row] == ["5"]


def reg(rid: int, modified: int) -> Registration:
    return Registration(rid, modified, None, "x")


def test_high_water_keeps_every_registration_at_the_mark() -> None:
    link = Link(1, "runsignup", 1, 2, high_water=100, high_water_ids=[7, 8])
    assert _high_water([reg(8, 100), reg(9, 100)], link) == (100, [7, 8, 9])
    assert _high_water([reg(8, 100), reg(9, 105), reg(10, 105)], link) == (105, [9, 10])
    assert _high_water([], link) == (100, [7, 8])


def test_participant_rows_reads_a_list_of_events_or_one() -> None:
    one = {"event": {"event_id": 1, "participants": []}, "participants": [{"registration_id": 1}]}
    assert participant_rows([one, one]) == [{"registration_id": 1}] * 2
    assert participant_rows(one) == [{"registration_id": 1}]
    assert participant_rows({"participants": None}) == []


def test_clock_text() -> None:
    assert clock_text(timedelta(hours=1, minutes=2, seconds=3.456)) == "1:02:03.45"
    assert (
        clock_text(timedelta(minutes=59, seconds=59.999)) == "0:59:59.99"
    )  # truncated, never rounded up


def test_changed_rows_sends_only_differences_and_clears_splits_that_went() -> None:
    held = {1: {"bib_num": "1", "clock_time": "0:40:00.00", "split-9": "0:20:00.00"},
            2: {"bib_num": "2", "clock_time": "0:41:00.00"}}  # fmt: skip
    now = {1: {"bib_num": "1", "clock_time": "0:40:00.00"},
           2: {"bib_num": "2", "clock_time": "0:41:00.00"},
           3: {"bib_num": "3", "clock_time": "DNF", "chip_time": "DNF"}}  # fmt: skip
    assert changed_rows(now, held) == {
        1: {"bib_num": "1", "clock_time": "0:40:00.00", "split-9": "X"},
        3: {"bib_num": "3", "clock_time": "DNF", "chip_time": "DNF"},
    }
    held[4] = {"registration_id": 44, "bib_num": "4", "split-9": "0:21:00.00"}
    assert changed_rows(now, held)[4] == {"registration_id": 44, "bib_num": "4", "split-9": "X"}
    assert changed_rows(now, {4: {"registration_id": 44, "bib_num": "4"}}).get(4) is None


def test_a_base_url_that_is_not_http_is_refused_before_any_request() -> None:
    with pytest.raises(ConfigError, match="runsignup_url must be an http"):
        RunSignUp("runsignup.com/Rest", Credentials("k", "s"))
