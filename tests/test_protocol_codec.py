# ruff: noqa: E501
"""The CTP01 codec against ctp01.md's test vectors (TV3, TV4, TV5, TV8, TV9, TV10) and the
real captures."""

from __future__ import annotations

import inspect
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import p88.protocol as protocol
from p88.errors import ProtocolError
from p88.protocol import (
    Ack,
    Authorize,
    Command,
    Err,
    Greeting,
    GunTime,
    LineFramer,
    LineTooLong,
    NewLocation,
    Read,
    RequestLine,
    WallClock,
    auth_digest,
    format_line,
    local_datetime,
    parse_line,
    parse_time,
    verify,
)

TV3 = [
    (b"CT01_33~1~MINI11992~1208~11:05:15.06~1~12057E~4\r\n", 1, "MINI11992", "1208", 1, "12057E", 4),
    (b"CT01_33~1~start~9478~2008-10-16T14:02:15.31~0~0F2A38~1\r\n", 1, "start", "9478", 0, "0F2A38", 1),
    (b"CT01_33~1~start~9478~1224165735.31~0~0F2A38~1\r\n", 1, "start", "9478", 0, "0F2A38", 1),
    (b"CT01_33~1~start~9478~50535310~0~0F2A38~1\r\n", 1, "start", "9478", 0, "0F2A38", 1),
    (b"CT01_33~2000~PHASER~3132~2025-06-01T08:30:22.04~1~23H016~1\r\n", 2000, "PHASER", "3132", 1, "23H016", 1),
    (b"CT01_33~77~finish~512~102:12:32.37~3~0FA22E~2\r\n", 77, "finish", "512", 3, "0FA22E", 2),
    (b"CT01_13,1,start,12,06:08:32.02,1,0FA22E,4\r\n", 1, "start", "12", 1, "0FA22E", 4),
    (b"CT01_33~3~finish~UNKNOWN~14:02:16.02~0~POINTCAM~0\r\n", 3, "finish", "UNKNOWN", 0, "POINTCAM", 0),
]  # fmt: skip


@pytest.mark.parametrize("line,seq,loc,tag,lap,reader,gator", TV3)
def test_tv3_data_lines_parse_and_round_trip(
    line: bytes, seq: int, loc: str, tag: str, lap: int, reader: str, gator: int
) -> None:
    msg = parse_line(line)
    assert isinstance(msg, Read)
    assert (msg.seq, msg.location, msg.tag, msg.lap, msg.reader, msg.gator) == (
        seq, loc, tag, lap, reader, gator,
    )  # fmt: skip
    assert msg.raw == line[:-2]
    assert format_line(msg) == line


def test_tv3_times_are_local_wall_clock() -> None:
    day = date(2008, 10, 16)
    expect = datetime(2008, 10, 16, 14, 2, 15, 310000)
    for text in ("14:02:15.31", "2008-10-16T14:02:15.31", "1224165735.31", "50535310"):
        assert local_datetime(parse_time(text), day) == expect, text
    late = parse_time("102:12:32.37")
    assert local_datetime(late, day) == datetime(2008, 10, 20, 6, 12, 32, 370000)
    assert parse_time("-00:00:01.00").offset == timedelta(seconds=-1)
    assert parse_line(b"CT01_13,1,start,12,06:08:32.02,1,0FA22E,4").fmt == "CT01_13"


def test_hh_mm_ss_fast_path_agrees_with_the_careful_parse() -> None:
    """The HH:MM:SS.hh fast path caches seconds per HH:MM:SS; a cached second must not make
    a bad hundredths field, or a bad time sharing its prefix, parse. Digits are ASCII only,
    on the fast path and the careful one alike."""
    for text in ("14:02:15.31", "14:02:15.31", "14:02:15.07", "99:59:59.99", "00:00:00.00"):
        h, m, rest = text.split(":")
        s, cs = rest.split(".")
        expect = timedelta(hours=int(h), minutes=int(m), seconds=int(s), milliseconds=int(cs) * 10)
        assert parse_time(text).offset == expect, text
    for bad in ("14:02:15.3x", "14:02:15.+1", "14:60:00.00", "14:02:60.00", "1４:02:15.31"):
        with pytest.raises(ProtocolError):
            parse_time(bad)
    with pytest.raises(ProtocolError):
        parse_line("CT01_33~１~MINI11992~1208~11:05:15.06~1~12057E~4")


def test_midnight_rollover() -> None:
    clock = WallClock(date(2024, 12, 31), "Europe/Berlin")
    before = clock.resolve(parse_time("23:59:58.00"))
    after = clock.resolve(parse_time("00:00:03.00"))
    assert after - before == timedelta(seconds=5)
    # a late-reported read from before midnight goes back to its own day
    assert clock.resolve(parse_time("23:59:59.50")) == datetime(2024, 12, 31, 23, 59, 59, 500000)
    # the receipt time decides nothing: a resend the next afternoon dates reads as before
    fresh = WallClock(date(2024, 12, 31), "UTC")
    at = fresh.resolve(
        parse_time("23:59:58.00"), datetime.fromisoformat("2025-01-01T15:00:04+00:00")
    )
    assert at == datetime(2024, 12, 31, 23, 59, 58)
    # the first read of a stream rolls from the anchor (a race whose gun was at 23:50)
    anchored = WallClock(date(2024, 12, 31), anchor=datetime(2024, 12, 31, 23, 50))
    assert anchored.resolve(parse_time("00:20:00.00")) == datetime(2025, 1, 1, 0, 20)
    # exactly 12 h earlier stays on the day; a moment more is the next day
    near = datetime(2024, 1, 1, 23, 0)
    assert local_datetime(parse_time("11:00:00"), date(2024, 1, 1), near=near) == (
        datetime(2024, 1, 1, 11)
    )
    assert local_datetime(parse_time("10:59:59.99"), date(2024, 1, 1), near=near) == (
        datetime(2024, 1, 2, 10, 59, 59, 990000)
    )


def test_a_dateless_time_without_a_date_is_refused() -> None:
    from p88.errors import InputError

    clock = WallClock(None)
    assert clock.resolve(parse_time("2024-12-14T11:05:15.06")) == datetime(
        2024, 12, 14, 11, 5, 15, 60000
    )
    with pytest.raises(InputError, match="--date"):
        clock.resolve(parse_time("11:05:15.06"))


def test_tv4_gun_times_are_not_reads() -> None:
    lines = [
        b"CT01_33~4~start~guntime~14:02:15.31~0~DF239A~0\r\n",
        b"CT01_33~4~start~guntime~2008-10-16T14:02:15.31~0~DF239A~0\r\n",
        b"CT01_33~5~start~GUNTIME~14:05:00.00~0~DF239A~0\r\n",
    ]
    for line in lines:
        msg = parse_line(line)
        assert isinstance(msg, GunTime) and not isinstance(msg, Read)
        assert msg.reader == "DF239A" and msg.location == "start"
        assert format_line(msg) == line


def test_tv5_new_locations() -> None:
    a = parse_line(b"CT01_33~2038~30k~newlocation~14:02:15.31~0~ED932A~0\r\n")
    b = parse_line(b"CT01_33~12~OnBridge~newlocation~00:00:00.00~0~0~0\r\n")
    assert isinstance(a, NewLocation) and a.location == "30k"
    assert isinstance(b, NewLocation) and b.location == "OnBridge" and b.reader == "0"


@pytest.mark.parametrize(
    "line,expected",
    [
        (b"SimpleClient~0.6.0~CTP01", Greeting("SimpleClient", "0.6.0", "CTP01")),
        (b"Race Director~Version 2008 rev 3~0", Greeting("Race Director", "Version 2008 rev 3", "0")),
        (b"stream-mode=push", RequestLine("stream-mode", "push")),
        (b"authorize~TimersRus~f363fd", Authorize("TimersRus", "f363fd")),
        (b"start~finish~4530", Command("start", ("finish", "4530"))),
        (b"ping", Command("ping")),
        (b"getdata~50", Command("getdata", ("50",))),
        (b"ack~start", Ack("start")),
        (b"ack~getconnectionid~b6173186", Ack("getconnectionid", ("b6173186",))),
        (b"err~start~invalid location requested", Err("start", "invalid location requested")),
        (b"err~start~invalid paramater count", Err("start", "invalid paramater count")),
        (b"err~start~command unavailable in pull mode", Err("start", "command unavailable in pull mode")),
        (b"err~~unknown command", Err("", "unknown command")),
        (b"ack~getlocations", Ack("getlocations")),
        (b"ack~geteventinfo~~0~", Ack("geteventinfo", ("", "0", ""))),
    ],
)  # fmt: skip
def test_tv1_tv8_control_lines_round_trip(line: bytes, expected: object) -> None:
    msg = parse_line(line + b"\r\n")
    assert msg == expected
    assert format_line(msg) == line + b"\r\n"
    assert Greeting("p88", "0.1.0", "4").request_count == 4


TV9 = [
    (b"CT01_33~5~FINISH~1208~11:05:15.06~1~12057E\r\n", None),
    (b"CT01_33~6~FINISH~1208~11:05:15.06~1~12057E~4~extra\r\n", None),
    (b"CT01_33~abc~FINISH~1208~11:05:15.06~1~12057E~4\r\n", "seq"),
    (b"CT01_33~7~FINISH~1208~11:65:15.06~1~12057E~4\r\n", "time"),
    (b"CT01_33~8~FINISH~1208~2008-13-40T11:05:15.06~1~12057E~4\r\n", "time"),
    (b"CT01_33~9~FINISH~~11:05:15.06~1~12057E~4\r\n", "tag"),
    (b"\r\n", None),
    (b"\x00\xff\xfe\r\n", None),
    (b"XYZ~1~2~3\r\n", "type"),
]


@pytest.mark.parametrize("line,field", TV9)
def test_tv9_malformed_lines_raise_with_the_raw_bytes(line: bytes, field: str | None) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_line(line)
    assert info.value.raw == line.rstrip(b"\r\n")
    if field:
        assert info.value.field == field


def test_tv9_bare_lf_and_overlong_lines_in_the_framer() -> None:
    framer = LineFramer(max_line=4096)
    frames = framer.feed(b"CT01_33~10~FINISH~1208~11:05:15.06~1~12057E~4\n")
    assert isinstance(parse_line(frames[0]), Read)  # type: ignore[arg-type]
    assert framer.feed(b"A" * 5000) == []
    assert framer.buffered <= 4096
    tail = framer.feed(b"B" * 100 + b"\r\nping\r\n")
    assert isinstance(tail[0], LineTooLong) and tail[0].size == 5100 + 1
    assert tail[1] == b"ping"
    assert framer.feed(b"\r\n\n") == []  # empty lines are skipped


def test_tv10_fragmentation() -> None:
    framer = LineFramer()
    assert framer.feed(b"CT01_33~11~FIN") == []
    got = framer.feed(
        b"ISH~1208~11:05:15.06~1~12057E~4\r\nCT01_33~12~FINISH~1209~11:05:16.00~1~12057E~4\r\n"
    )
    assert [parse_line(x).seq for x in got] == [11, 12]  # type: ignore[union-attr,arg-type]
    both = LineFramer().feed(
        b"SimpleClient~0.6.0~CTP01\r\nCT01_33~1~start~newlocation~00:00:00.00~0~0~0\r\n"
    )
    assert isinstance(parse_line(both[0]), Greeting)  # type: ignore[arg-type]
    assert isinstance(parse_line(both[1]), NewLocation)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["mini11992-2024-12-14.ct33", "mini11992-2024-12-14.iso.ct33"])
def test_real_captures_round_trip_byte_for_byte(captures_dir: Path, name: str) -> None:
    data = (captures_dir / name).read_bytes()
    lines = data.splitlines(keepends=True)
    reads = [parse_line(line) for line in lines]
    assert len(reads) == 8859
    assert all(isinstance(r, Read) for r in reads)
    assert b"".join(format_line(r) for r in reads) == data
    frames = LineFramer().feed(data)
    assert frames == [line[:-2] for line in lines]


def test_every_byte_boundary_split_yields_the_same_lines(captures_dir: Path) -> None:
    data = (captures_dir / "mini11992-2024-12-14.ct33").read_bytes()[:4000]
    whole = LineFramer().feed(data)
    for cut in range(len(data) + 1):
        framer = LineFramer()
        assert framer.feed(data[:cut]) + framer.feed(data[cut:]) == whole


@pytest.mark.parametrize(
    "method,expected",
    [
        ("hmac-sha1", "f363fd6f092f8d0b6b1a2b594ec8c859d16a0058"),
        ("hmac-md5", "1dbcab383535b8116a757bb69352bc43"),
        ("seed-sha1", "1327055cee2a34660642b1e528e3e449829cf376"),
        ("seed-md5", "3c8b4ec173ca66248a9d824e52f26d40"),
        ("plaintext", "secret"),
    ],
)
def test_tv6_authentication_digests(method: str, expected: str) -> None:
    assert auth_digest(method, "7f3a9c21e4b84d0a", "secret") == expected
    assert verify(
        method, "7f3a9c21e4b84d0a", "secret", expected.upper() if "-" in method else expected
    )
    assert not verify(method, "7f3a9c21e4b84d0a", "secret", "0" * len(expected))


def test_public_surface_is_complete() -> None:
    exported = {
        name
        for name in dir(protocol)
        if not name.startswith("_") and not inspect.ismodule(getattr(protocol, name))
    }
    assert exported <= set(protocol.__all__)
