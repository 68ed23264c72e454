"""The CTP01 client state machine, sans-IO: the spec's test vectors played from the client side."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from p88.protocol.client import (
    Answered,
    ClientOptions,
    ClientProtocol,
    Fatal,
    Ready,
    Started,
    Stopped,
)
from p88.protocol.codec import GunTime, Read
from p88.protocol.feed import Feed, render_time
from p88.protocol.times import parse_time

DAY = date(2008, 10, 16)
CID = "b617318655057264e28bc0b6fb378c8ef146be00"


def _feed(location: str, n: int, *, gun: bool = False, first_seq: int = 1) -> Feed:
    lines: list[Read | GunTime] = []
    moments = []
    for i in range(n):
        moment = datetime(2008, 10, 16, 14, 2, 15, 310000).replace(second=i % 60)
        text = render_time(moment, "normal", DAY)
        kind = GunTime if gun and i == 0 else Read
        tag = "guntime" if kind is GunTime else str(9478 + i)
        raw = f"CT01_33~{first_seq + i}~{location}~{tag}~{text}~0~0F2A38~1".encode()
        lines.append(kind(first_seq + i, location, tag, parse_time(text), 0, "0F2A38", 1, raw=raw))
        moments.append(moment)
    return Feed(location, lines, moments, DAY, reader="0F2A38")


def _client(*feeds: Feed, **kw: str) -> ClientProtocol:
    return ClientProtocol(
        list(feeds), ClientOptions(CID, name="SimpleClient", version="0.6.0", **kw)
    )


def _server(proto: ClientProtocol, *lines: str) -> list[object]:
    return list(proto.receive("".join(line + "\r\n" for line in lines).encode()))


def _sent(proto: ClientProtocol) -> list[str]:
    return proto.data_to_send().decode().split("\r\n")[:-1]


def test_tv1_push_handshake_start_and_data() -> None:
    feed = _feed("finish", 3)
    proto = _client(
        _feed("start", 1),
        feed,
        event_name="LA08",
        event_id="12",
        event_description="Los Angeles Marathon 2008",
    )
    assert _sent(proto) == ["SimpleClient~0.6.0~CTP01"]
    events = _server(
        proto,
        "p88~0.1.0~4",
        "stream-mode=push",
        "location=multi",
        "time-format=normal",
        "pushmode-ack=true",
        "getconnectionid",
        "geteventinfo",
        "getlocations",
        "start~finish",
    )
    assert isinstance(events[0], Ready)
    assert Started("finish", None) in events
    assert _sent(proto) == [
        f"ack~getconnectionid~{CID}",
        "ack~geteventinfo~LA08~12~Los Angeles Marathon 2008",
        "ack~getlocations~start~finish",
        "ack~start~finish",
    ]
    assert proto.pump() == 0  # nothing observed yet: the pacer has not moved
    feed.observed = 2
    assert proto.pump() == 2
    assert _sent(proto) == [
        "CT01_33~1~finish~9478~14:02:00.31~0~0F2A38~1",
        "CT01_33~2~finish~9479~14:02:01.31~0~0F2A38~1",
    ]
    _server(proto, "ping")
    assert _sent(proto) == ["ack~ping"]
    assert not proto.caught_up()  # "start" location never started


def test_formats_requested_by_the_server_are_honoured() -> None:
    feed = _feed("finish", 2, gun=True)
    feed.observed = 2
    proto = _client(feed)
    proto.data_to_send()
    _server(
        proto,
        "x~1~5",
        "stream-mode=push",
        "time-format=iso",
        "tagevent-format=CT01_13",
        "guntimes=true",
        "location=single",
        "start",
    )
    proto.pump()
    assert _sent(proto) == [
        "CT01_13,1,finish,guntime,2008-10-16T14:02:00.31,0,0F2A38,1",
        "CT01_13,2,finish,9479,2008-10-16T14:02:01.31,0,0F2A38,1",
    ]
    other = _client(_feed("finish", 2, gun=True))
    other.feeds["finish"].observed = 2
    other.data_to_send()
    _server(other, "x~1~3", "stream-mode=push", "time-format=unix", "start")
    other.pump()  # guntimes=false (default): the gun line stays home
    assert _sent(other) == ["CT01_33~2~finish~9479~1224165721.31~0~0F2A38~1"]


def test_tv2_zero_request_lines_is_pull_mode() -> None:
    feed = _feed("finish", 3, gun=True)
    feed.observed = 3
    proto = _client(feed)
    proto.data_to_send()
    events = _server(proto, "Race Director~Version 2008 rev 3~0", "getdata~2", "start")
    assert isinstance(events[0], Ready) and proto.settings.stream_mode == "pull"
    assert _sent(proto) == [
        "ack~getdata~2",
        "CT01_33~1~finish~guntime~14:02:00.31~0~0F2A38~1",
        "CT01_33~2~finish~9479~14:02:01.31~0~0F2A38~1",
        "err~start~command unavailable in pull mode",
    ]
    _server(proto, "getdata~50")
    assert _sent(proto) == ["ack~getdata~1", "CT01_33~3~finish~9480~14:02:02.31~0~0F2A38~1"]
    _server(proto, "getdata~50")
    assert _sent(proto) == ["ack~getdata~0"]
    assert proto.caught_up()
    _server(proto, "getdata~50~finish~2", "getdata~5~nowhere", "getdata~x")
    assert _sent(proto) == [
        "ack~getdata~2",
        "CT01_33~2~finish~9479~14:02:01.31~0~0F2A38~1",
        "CT01_33~3~finish~9480~14:02:02.31~0~0F2A38~1",
        "err~getdata~unknown location",
        "err~getdata~invalid paramater count",
    ]
    assert feed.sent_upto == 3 and feed.resent == 2


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("hmac-sha1", "f363fd6f092f8d0b6b1a2b594ec8c859d16a0058"),
        ("hmac-md5", "1dbcab383535b8116a757bb69352bc43"),
        ("seed-sha1", "1327055cee2a34660642b1e528e3e449829cf376"),
        ("seed-md5", "3c8b4ec173ca66248a9d824e52f26d40"),
        ("plaintext", "secret"),
    ],
)
def test_tv6_authentication_every_method(method: str, expected: str) -> None:
    proto = _client(_feed("finish", 1), user="TimersRus", password="secret")
    proto.data_to_send()
    events = _server(
        proto,
        "p88~0.1.0~3",
        "stream-mode=push",
        f"authentication={method}",
        "authentication-seed=7f3a9c21e4b84d0a",
    )
    assert events == [] and proto.phase == "auth"
    assert _sent(proto) == [f"authorize~TimersRus~{expected}"]
    assert isinstance(_server(proto, "ack~authorize")[0], Ready)


def test_refused_login_and_missing_credentials_are_fatal() -> None:
    proto = _client(_feed("finish", 1), user="TimersRus", password="wrong")
    proto.data_to_send()
    _server(proto, "p88~0.1.0~2", "authentication=seed-md5", "authentication-seed=ab")
    (event,) = _server(proto, "err~authorize~invalid password")
    assert isinstance(event, Fatal) and "invalid password" in event.reason
    anonymous = _client(_feed("finish", 1))
    (event,) = _server(anonymous, "p88~0.1.0~1", "authentication=hmac-sha1")
    assert isinstance(event, Fatal) and "--user" in event.reason


def test_tv7_resume_from_the_requested_sequence_inclusive() -> None:
    feed = _feed("finish", 6, first_seq=4527)
    feed.observed = 6
    proto = _client(feed)
    proto.data_to_send()
    _server(proto, "p88~0.1.0~1", "stream-mode=push", "getconnectionid", "start~finish~4530")
    _sent(proto)
    proto.pump()
    assert [line.split("~")[1] for line in _sent(proto)] == ["4530", "4531", "4532"]
    # A second start without a seq must not send the location again from the top (S5).
    _server(proto, "start~finish")
    assert proto.pump() == 0


def test_errors_for_what_the_client_cannot_do() -> None:
    proto = _client(_feed("finish", 2))
    proto.data_to_send()
    _server(proto, "p88~0.1.0~2", "stream-mode=push", "pushmode-ack=true")
    events = _server(
        proto,
        "start~nowhere",
        "start~finish~x",
        "start~a~b~c",
        "stop~finish",
        "getdata~5",
        "err~~unknown command",
        "ack~getlocations",
        "junk line here",
    )
    assert _sent(proto) == [
        "err~start~invalid location requested",
        "err~start~invalid start sequence number requested",
        "err~start~invalid paramater count",
        "ack~stop~finish",
        "err~getdata~command unavailable in push mode",
    ]
    assert Stopped("finish") in events
    assert Answered("getdata", refused="command unavailable in push mode") in events
    assert not any(isinstance(e, Fatal) for e in events)


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["HTTP/1.1 400 Bad Request"], "not a CTP01 server"),
        (["p88~0.1.0~1", "location=everywhere"], 'invalid value for "location"'),
        (["p88~0.1.0~1", "tagevent-format=CT01_3B"], "cannot send tagevent-format"),
    ],
)
def test_not_ctp01_or_impossible_requests_end_the_connection(lines: list[str], reason: str) -> None:
    proto = _client(_feed("finish", 1))
    events = _server(proto, *lines)
    assert isinstance(events[-1], Fatal) and reason in events[-1].reason
    assert proto.closed


def test_newlocations_wait_for_getconnectionid() -> None:
    proto = _client(_feed("start", 1), _feed("finish", 1))
    proto.data_to_send()
    _server(
        proto,
        "p88~0.1.0~4",
        "stream-mode=push",
        "newlocations=true",
        "connection-id=true",
        "time-format=iso",
    )
    assert _sent(proto) == []
    _server(proto, "getconnectionid")
    assert _sent(proto) == [
        f"ack~getconnectionid~{CID}",
        "CT01_33~0~start~newlocation~2008-10-16T14:02:00.31~0~0F2A38~0",
        "CT01_33~0~finish~newlocation~2008-10-16T14:02:00.31~0~0F2A38~0",
    ]


def test_fragmented_server_bytes() -> None:
    proto = _client(_feed("finish", 1))
    proto.data_to_send()
    stream = b"p88~0.1.0~1\r\nstream-mode=push\r\nge"
    assert isinstance(proto.receive(stream)[0], Ready)
    assert proto.receive(b"tlocat") == []
    proto.receive(b"ions\r\n")
    assert _sent(proto) == ["ack~getlocations~finish"]


def test_single_location_server_and_a_multi_location_client() -> None:
    proto = _client(_feed("start", 1), _feed("finish", 1))
    events = _server(proto, "p88~0.1.0~2", "stream-mode=push", "location=single")
    assert isinstance(events[-1], Fatal) and "--clients per-file" in events[-1].reason
    alone = _client(_feed("finish", 1))
    assert isinstance(_server(alone, "p88~0.1.0~1", "location=single")[-1], Ready)
