"""The sans-IO server state machine against ctp01.md's handshake vectors (TV1, TV5-TV8)."""

from __future__ import annotations

from p88.protocol import auth_digest
from p88.protocol.server import (
    Authenticated,
    ClientError,
    Closing,
    EventInfo,
    Greeted,
    GunReceived,
    Identified,
    LineRejected,
    LocationAnnounced,
    LocationsKnown,
    ReadReceived,
    ServerConfig,
    ServerConnection,
    StartNeeded,
)

CID = "b617318655057264e28bc0b6fb378c8ef146be00"
REQUESTS = (
    b"stream-mode=push\r\nlocation=multi\r\nguntimes=true\r\nnewlocations=true\r\n"
    b"connection-id=true\r\npushmode-ack=true\r\ntime-format=iso\r\n"
)


def _handshake(server: ServerConnection) -> list[object]:
    events: list[object] = []
    events += server.receive(b"SimpleClient~0.6.0~CTP01\r\n", 0.1)
    events += server.receive(f"ack~getconnectionid~{CID}\r\n".encode(), 0.2)
    events += server.receive(b"ack~geteventinfo~LA08~12~Los Angeles Marathon 2008\r\n", 0.3)
    events += server.receive(b"ack~getlocations~start~10k~half~30k~finish\r\n", 0.4)
    return events


def test_tv1_push_handshake_start_and_data() -> None:
    server = ServerConnection(ServerConfig(version="0.1.0"), now=0.0)
    assert server.receive(b"SimpleClient~0.6.0~", 0.05) == []
    events = server.receive(b"CTP01\r\n", 0.1)
    assert isinstance(events[0], Greeted) and events[0].greeting.name == "SimpleClient"
    assert server.data_to_send() == b"p88~0.1.0~7\r\n" + REQUESTS + b"getconnectionid\r\n"
    assert server.receive(f"ack~getconnectionid~{CID}\r\n".encode(), 0.2) == [Identified(CID)]
    assert server.data_to_send() == b"geteventinfo\r\n"
    events = server.receive(b"ack~geteventinfo~LA08~12~Los Angeles Marathon 2008\r\n", 0.3)
    assert events == [EventInfo("LA08", "12", "Los Angeles Marathon 2008")]
    assert server.data_to_send() == b"getlocations\r\n"
    events = server.receive(b"ack~getlocations~start~10k~half~30k~finish\r\n", 0.4)
    locs = ("start", "10k", "half", "30k", "finish")
    assert events == [LocationsKnown(locs), StartNeeded(CID, locs)]
    server.start(dict.fromkeys(locs))
    assert server.data_to_send() == b"".join(f"start~{x}\r\n".encode() for x in locs)
    assert server.receive(b"ack~start~finish\r\nack~start\r\n", 0.5) == []
    events = server.receive(b"CT01_33~1~finish~9478~14:02:15.31~0~0F2A38~1\r\n", 0.6)
    assert isinstance(events[0], ReadReceived) and events[0].read.tag == "9478"
    assert server.tick(10.5) == []
    assert server.data_to_send() == b"ping\r\n"
    assert server.receive(b"ack~ping\r\n", 10.6) == []
    server.start({"finish": 7})
    assert server.data_to_send() == b""  # started once per location per connection


def test_tv7_resume_sequence_is_sent() -> None:
    server = ServerConnection(ServerConfig(), now=0.0)
    events = _handshake(server)
    assert StartNeeded(CID, ("start", "10k", "half", "30k", "finish")) in events
    server.data_to_send()
    server.start({"finish": 4530, "start": None})
    assert server.data_to_send() == b"start~finish~4530\r\nstart~start\r\n"


def test_tv5_new_location_is_started_once() -> None:
    server = ServerConnection(ServerConfig(), now=0.0)
    server.receive(b"SimpleClient~0.6.0~CTP01\r\n", 0.1)
    server.receive(f"ack~getconnectionid~{CID}\r\nack~geteventinfo~~0~\r\n".encode(), 0.2)
    assert server.receive(b"ack~getlocations~start\r\n", 0.3)[-1] == StartNeeded(CID, ("start",))
    server.start({"start": None})
    server.data_to_send()
    line = b"CT01_33~2038~30k~newlocation~14:02:15.31~0~ED932A~0\r\n"
    events = server.receive(line, 1.0)
    assert isinstance(events[0], LocationAnnounced)
    assert events[1] == StartNeeded(CID, ("30k",))
    assert server.receive(line, 1.1)[1:] == []  # asked already
    server.start({"30k": None})
    assert server.data_to_send() == b"start~30k\r\n"
    events = server.receive(b"CT01_33~12~OnBridge~newlocation~00:00:00.00~0~0~0\r\n", 1.2)
    assert events[1] == StartNeeded(CID, ("OnBridge",))


def test_tv6_authentication_accepts_and_refuses() -> None:
    cfg = ServerConfig(users={"TimersRus": "secret"}, version="0.1.0")
    for method in ("hmac-sha1", "hmac-md5", "seed-sha1", "seed-md5", "plaintext"):
        cfg = ServerConfig(users={"TimersRus": "secret"}, auth_method=method)
        server = ServerConnection(cfg, now=0.0, seed="7f3a9c21e4b84d0a")
        server.receive(b"SimpleClient~0.6.0~CTP01\r\n", 0.1)
        sent = server.data_to_send()
        assert (
            f"authentication={method}\r\nauthentication-seed=7f3a9c21e4b84d0a\r\n".encode() in sent
        )
        assert b"~9\r\n" in sent.split(b"\r\n")[0] + b"\r\n"
        digest = auth_digest(method, "7f3a9c21e4b84d0a", "secret")
        events = server.receive(f"authorize~TimersRus~{digest}\r\n".encode(), 0.2)
        assert events[0] == Authenticated("TimersRus")
        assert server.data_to_send() == b"ack~authorize\r\ngetconnectionid\r\n"
    bad = ServerConnection(cfg, now=0.0)
    bad.receive(b"SimpleClient~0.6.0~CTP01\r\n", 0.1)
    bad.data_to_send()
    events = bad.receive(b"authorize~TimersRus~wrong\r\n", 0.2)
    assert isinstance(events[0], Closing)
    assert bad.data_to_send() == b"err~authorize~invalid password\r\n"
    fresh = {ServerConnection(cfg, now=0.0).seed for _ in range(5)}
    assert len(fresh) == 5  # a new seed per connection


def test_tv8_error_replies_do_not_crash() -> None:
    server = ServerConnection(ServerConfig(), now=0.0)
    server.receive(b"SimpleClient~0.6.0~CTP01\r\n", 0.1)
    server.receive(b"err~~unknown command\r\n", 0.2)
    server.receive(b"err~getconnectionid~not supported\r\n", 0.2)  # moves on
    assert server.data_to_send().endswith(b"geteventinfo\r\n")
    assert server.receive(b"ack~geteventinfo~~0~\r\n", 0.3) == [EventInfo("", "0", "")]
    events = server.receive(b"ack~getlocations\r\n", 0.4)
    assert events == [LocationsKnown(())]
    for line in (
        b"err~start~invalid location requested\r\n",
        b"err~start~invalid paramater count\r\n",
        b"err~start~command unavailable in pull mode\r\n",
    ):
        assert isinstance(server.receive(line, 0.5)[0], ClientError)
    assert server.state == "streaming"


def test_tv9_bad_lines_are_rejected_and_the_connection_goes_on() -> None:
    server = ServerConnection(ServerConfig(max_line=4096), now=0.0)
    _handshake(server)
    events = server.receive(
        b"CT01_33~abc~FINISH~1208~11:05:15.06~1~12057E~4\r\nXYZ~1~2~3\r\n\x00\xff\xfe\r\n"
        + b"A" * 5000 + b"\r\n"
        + b"CT01_33~10~FINISH~1208~11:05:15.06~1~12057E~4\n"
        + b"CT01_33~5~start~GUNTIME~14:05:00.00~0~DF239A~0\r\n",
        1.0,
    )  # fmt: skip
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["LineRejected"] * 4 + ["ReadReceived", "GunReceived"]
    assert isinstance(events[3], LineRejected) and "4096" in events[3].reason
    assert isinstance(events[5], GunReceived)


def test_greeting_checks_and_timeouts() -> None:
    server = ServerConnection(ServerConfig(), now=0.0)
    events = server.receive(b"@Store@1~2~3\r\n", 0.1)
    assert isinstance(events[0], Closing) and "CTP01" in events[0].reason
    lynx = ServerConnection(ServerConfig(), now=0.0)
    assert isinstance(lynx.receive(b"GET / HTTP/1.1\r\n", 0.1)[0], Closing)
    silent = ServerConnection(ServerConfig(greeting_timeout=15), now=0.0)
    assert silent.tick(10) == []
    assert isinstance(silent.tick(16)[0], Closing)
    # greeting and a data line in one segment (TV10)
    both = ServerConnection(ServerConfig(), now=0.0)
    events = both.receive(
        b"SimpleClient~0.6.0~CTP01\r\nCT01_33~1~start~newlocation~00:00:00.00~0~0~0\r\n", 0.1
    )
    assert [type(e).__name__ for e in events] == ["Greeted", "LocationAnnounced"]


def test_dead_link_after_missed_pings_and_client_ping() -> None:
    server = ServerConnection(ServerConfig(ping_interval=10, max_missed_pings=3), now=0.0)
    _handshake(server)
    server.receive(b"ping\r\n", 0.5)
    assert server.data_to_send().endswith(b"ack~ping\r\n")
    closed = []
    for t in (10.6, 20.6, 30.6, 40.6):
        closed += server.tick(t)
    assert server.data_to_send() == b"ping\r\n" * 3
    assert isinstance(closed[-1], Closing) and "3 pings" in closed[-1].reason


def test_tv2_pull_mode_polls_with_getdata() -> None:
    cfg = ServerConfig(name="Race Director", version="Version 2008 rev 3", stream_mode="pull",
                       pull_max=50, poll_interval=1.0)  # fmt: skip
    server = ServerConnection(cfg, now=0.0)
    server.receive(b"TripleC~0.1.0~CTP01\r\n", 0.1)
    sent = server.data_to_send()
    assert sent.startswith(b"Race Director~Version 2008 rev 3~4\r\nstream-mode=pull\r\n")
    assert b"pushmode-ack" not in sent and b"newlocations" not in sent
    server.receive(b"err~getconnectionid~unknown\r\nack~geteventinfo~~0~\r\n", 0.2)
    server.receive(b"ack~getlocations\r\n", 0.3)  # no locations: poll without a filter
    assert server.data_to_send().endswith(b"getdata~50\r\n")
    events = server.receive(
        b"ack~getdata~3\r\n"
        b"CT01_33~1~start~guntime~07:45:01.01~0~DF239A~0\r\n"
        b"CT01_33~2~finish~12~08:38:58.97~0~0FA22E~4\r\n"
        b"CT01_33~3~finish~2948~08:39:01.62~0~04BE82~2\r\n",
        0.4,
    )
    assert [type(e).__name__ for e in events] == ["GunReceived", "ReadReceived", "ReadReceived"]
    assert server.data_to_send() == b""  # fewer than 50: wait for the poll interval
    server.tick(1.5)
    assert server.data_to_send() == b"getdata~50\r\n"
    assert server.receive(b"ack~getdata~0\r\n", 1.6) == []


def test_pull_mode_resumes_per_location() -> None:
    server = ServerConnection(ServerConfig(stream_mode="pull", pull_max=2), now=0.0)
    _handshake(server)
    server.data_to_send()
    server.start({"start": None, "finish": 4530})
    assert server.data_to_send() == b"getdata~2~start\r\n"
    server.receive(b"ack~getdata~0\r\n", 1.0)
    assert server.data_to_send() == b"getdata~2~finish~4530\r\n"
    server.receive(
        b"ack~getdata~2\r\nCT01_33~4530~finish~13~08:39:00.11~0~0FA22E~4\r\n"
        b"CT01_33~4531~finish~14~08:39:00.12~0~0FA22E~4\r\n",
        1.1,
    )
    assert server.data_to_send() == b"getdata~2~finish~4532\r\n"  # full: ask again at once
    server.receive(b"err~getdata~unknown location\r\n", 1.2)
    assert server.data_to_send() == b"getdata~2~start\r\n"


def test_trickled_bytes_do_not_reset_the_greeting_deadline_or_the_line_timers() -> None:
    slow = ServerConnection(ServerConfig(greeting_timeout=15), now=0.0)
    for t in range(1, 20):  # one byte a second of a greeting that never ends
        assert slow.receive(b"S", float(t)) == []
        events = slow.tick(float(t) + 0.5)
        if events:
            break
    assert isinstance(events[0], Closing) and "no greeting within 15 s" in events[0].reason
    assert t == 15
    cfg = ServerConfig(ping_interval=1000, idle_timeout=30)
    streaming = ServerConnection(cfg, now=0.0)
    _handshake(streaming)
    for t in range(1, 60):  # bytes of a data line, never its end
        streaming.receive(b"C", float(t))
        events = streaming.tick(float(t) + 0.5)
        if events:
            break
    assert isinstance(events[0], Closing) and "no complete line for 30 s" in events[0].reason


def test_finish_turns_an_unterminated_tail_into_a_reject_after_the_handshake_only() -> None:
    early = ServerConnection(ServerConfig(), now=0.0)
    early.receive(b"SimpleClient~0.6", 0.1)
    assert early.finish() == []  # a broken greeting is not data
    server = ServerConnection(ServerConfig(max_line=64), now=0.0)
    _handshake(server)
    server.receive(b"CT01_33~1~finish~" + b"9" * 100, 1.0)
    (event,) = server.finish()
    assert isinstance(event, LineRejected) and len(event.raw) == 64
    assert "117" in event.reason and "unterminated" in event.reason
    assert server.finish() == []
