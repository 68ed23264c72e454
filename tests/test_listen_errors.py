from __future__ import annotations

import socket

from typer.testing import CliRunner

from p88.cli.main import app


def test_port_in_use_is_one_line_and_exit_1(p88_env: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["listen", "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}:")
    assert "Traceback" not in result.output


def test_port_out_of_range_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["listen", "--port", "99999"])
    assert result.exit_code == 2
