"""Plugins: entry-point discovery with the real example package and with broken ones.

The example (examples/p88-hello-results) is pip-installed, offline, into a directory of
this test session and put on ``sys.path`` (in-process tests) or ``PYTHONPATH``
(subprocesses): a real installed distribution, without touching the environment.
Broken plugins are hand-made distributions (dist-info with entry_points.txt) in tmp_path.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from typer.testing import CliRunner

import p88.plugin
from p88.cli.main import app
from p88.cli.plugins import FAILED, LOADED, discover, entry_points

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "p88-hello-results"
runner = CliRunner()


def p88_script() -> list[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).parent / "p88"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from p88.cli.main import main; main()"]


def run_p88(
    *args: str, pythonpath: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        environ["PYTHONPATH"] = str(pythonpath)
    environ.update(env)
    return subprocess.run(
        [*p88_script(), *args], capture_output=True, text=True, env=environ, timeout=60
    )


@pytest.fixture(scope="session")
def hello_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/p88-hello-results installed with pip into a directory of its own (no network)."""
    target = tmp_path_factory.mktemp("hello-results-site")
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
            "--no-build-isolation", "--disable-pip-version-check", "--target", str(target),
            str(EXAMPLE),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return target


@pytest.fixture
def hello(hello_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example plugin visible to this process for one test."""
    monkeypatch.syspath_prepend(str(hello_dir))
    return hello_dir


def make_dist(site: Path, package: str, entries: dict[str, str], modules: dict[str, str]) -> None:
    """A minimal installed distribution: dist-info with METADATA, entry points and modules."""
    info = site / f"{package.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
    (info / "entry_points.txt").write_text("[p88.commands]\n" + lines)
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))


GOOD_PLUGIN = '''
    import typer
    from p88 import plugin

    app = typer.Typer(help="A plugin that works.\\n\\nExample: p88 good hi")

    @app.command()
    def hi() -> None:
        """Say hi. Example: p88 good hi"""
        plugin.console.print("hi from good")

    @app.command()
    def fail(kind: str) -> None:
        """Fail the way asked. Example: p88 good fail refused"""
        if kind == "user":
            raise plugin.P88Error("bad input", hint="try again")
        if kind == "refused":
            raise plugin.RefusedError("will not", rule="test")
        if kind == "database":
            raise plugin.DatabaseUnavailable("no database")
        raise KeyboardInterrupt
'''


@pytest.fixture
def good_site(tmp_path: Path) -> Path:
    """One working plugin, ``good``, alone."""
    site = tmp_path / "good-site"
    module = f"p88x_good_{uuid.uuid4().hex[:8]}"
    make_dist(site, "p88-good", {"good": f"{module}:app"}, {module: GOOD_PLUGIN})
    return site


@pytest.fixture
def broken_site(tmp_path: Path) -> Path:
    """Plugins of every broken kind beside one good one (unique module names per test)."""
    site = tmp_path / "site"
    uid = uuid.uuid4().hex[:8]
    good, missing, notapp = f"p88x_good_{uid}", f"p88x_missing_{uid}", f"p88x_notapp_{uid}"
    make_dist(site, "p88-good", {"good": f"{good}:app"}, {good: GOOD_PLUGIN})
    make_dist(
        site,
        "p88-import-error",
        {"broken-import": f"{missing}:app"},
        {missing: "import p88_no_such_module_anywhere\n"},
    )
    make_dist(site, "p88-collide", {"db": f"{good}:app"}, {})
    make_dist(site, "p88-not-typer", {"not-typer": f"{notapp}:app"}, {notapp: "app = 'a str'\n"})
    make_dist(site, "p88-zz-duplicate", {"good": f"{good}:app"}, {})
    exits = f"p88x_exits_{uid}"
    make_dist(site, "p88-exits", {"exits": f"{exits}:app"}, {exits: "raise SystemExit(3)\n"})
    return site


EXPECTED_REASONS = {
    "broken-import": "import failed: ModuleNotFoundError: No module named "
    "'p88_no_such_module_anywhere'",
    "db": "its name collides with the built-in command 'db'",
    "not-typer": "is not a typer app (it is str)",
    "good": "its name is already taken by the plugin from package p88-good",
    "exits": "import failed: SystemExit: 3",
}


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning: plugin")]


# --- the example plugin, really installed -------------------------------------------------


def test_example_is_discovered_as_installed(hello: Path) -> None:
    result = runner.invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert plugins["hello-results"] == {
        "name": "hello-results",
        "package": "p88-hello-results",
        "version": "0.1.0",
        "target": "p88_hello_results:app",
        "status": LOADED,
        "reason": None,
    }
    table = runner.invoke(app, ["plugins"])
    assert "hello-results" in table.stdout and "p88-hello-results" in table.stdout


def seed_reads(conn: psycopg.Connection[Any]) -> tuple[int, list[tuple[Any, ...]]]:
    """A session with 5 reads at two points; returns its id and the reads, newest id first."""
    row = conn.execute(
        "INSERT INTO timing_sessions (session_name, event_name) VALUES ('Hello_5K', 'Hello 5K') "
        "RETURNING id"
    ).fetchone()
    assert row is not None
    session_id = int(row[0])
    conn.execute("INSERT INTO timing_sessions (session_name, status) VALUES ('Older', 'closed')")
    t0 = datetime(2025, 6, 9, 8, 0, 0)
    reads = [
        ("START", "1001", t0, "A1", 1),
        ("START", "1002", t0 + timedelta(seconds=1.25), "A1", 2),
        ("FINISH", "1001", t0 + timedelta(minutes=21, seconds=3.5), "B7", 3),
        ("FINISH", "1002", t0 + timedelta(minutes=22), "B7", 4),
        ("FINISH", "1003", t0 + timedelta(minutes=23, seconds=0.01), "B7", 1),
    ]
    for location, tag, ts, reader, antenna in reads:
        conn.execute(
            "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_date,"
            " read_timestamp, reader_id, gator_number) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
            (session_id, location, tag, ts.time(), ts.date(), ts, reader, antenna),
        )
    rows = conn.execute(
        "SELECT id, location_name, tag_code, read_timestamp, reader_id, gator_number "
        "FROM timing_reads WHERE session_id = %s ORDER BY id DESC",
        (session_id,),
    ).fetchall()
    return session_id, rows


def expected_csv(rows: list[tuple[Any, ...]]) -> list[dict[str, str]]:
    return [
        {
            "read_id": str(rid),
            "session": "Hello_5K",
            "location": loc,
            "tag_code": tag,
            "read_timestamp": ts.isoformat(),
            "read_time": ts.strftime("%H:%M:%S.") + f"{ts.microsecond // 10000:02d}",
            "reader_id": reader,
            "antenna": str(antenna),
        }
        for rid, loc, tag, ts, reader, antenna in rows
    ]


def test_example_prints_latest_reads_as_csv(
    hello: Path, p88_env: str, conn: psycopg.Connection[Any]
) -> None:
    session_id, rows = seed_reads(conn)
    by_name = runner.invoke(app, ["hello-results", "latest", "Hello_5K", "--limit", "3"])
    assert by_name.exit_code == 0, by_name.output
    assert by_name.stdout.splitlines()[0] == (
        "read_id,session,location,tag_code,read_timestamp,read_time,reader_id,antenna"
    )
    assert list(csv.DictReader(io.StringIO(by_name.stdout))) == expected_csv(rows[:3])
    by_id = runner.invoke(app, ["hello-results", "latest", str(session_id)])
    assert list(csv.DictReader(io.StringIO(by_id.stdout))) == expected_csv(rows)
    current = runner.invoke(app, ["hello-results", "latest", "-n", "1"])
    assert list(csv.DictReader(io.StringIO(current.stdout))) == expected_csv(rows[:1])


def test_example_errors_are_one_line(hello: Path, p88_env: str) -> None:
    result = runner.invoke(app, ["hello-results", "latest", "No_Such_Session"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: no timing session 'No_Such_Session' (give a session id or name from p88's sessions)"
    ]


def test_example_runs_as_a_real_command(
    hello_dir: Path, db_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    """A separate process, the console script, the --db flag: as a timing company runs it."""
    _, rows = seed_reads(conn)
    result = run_p88(
        "--db", db_url, "hello-results", "latest", "Hello_5K",
        pythonpath=hello_dir, P88_CONFIG=str(tmp_path / "p88.toml"), P88_DATABASE_URL="",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert list(csv.DictReader(io.StringIO(result.stdout))) == expected_csv(rows)
    assert result.stderr == ""


# --- broken plugins -----------------------------------------------------------------------


def test_discovery_reports_every_kind_of_failure(
    broken_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(broken_site))
    eps = [ep for ep in entry_points() if ep.dist is not None and ep.dist.name.startswith("p88-")]
    found = discover(builtins={"db", "config", "plugins"}, eps=eps)
    assert set(found.commands) == {"good"}
    failed = {(info.name, info.package): info for info in found.failed}
    assert set(failed) == {
        ("broken-import", "p88-import-error"),
        ("db", "p88-collide"),
        ("not-typer", "p88-not-typer"),
        ("good", "p88-zz-duplicate"),
        ("exits", "p88-exits"),
    }
    for (name, _), info in failed.items():
        assert info.status == FAILED
        assert info.reason is not None and info.reason.endswith(EXPECTED_REASONS[name])


def test_broken_plugins_warn_once_and_everything_else_works(
    broken_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(broken_site))
    helped = runner.invoke(app, ["--help"])
    assert helped.exit_code == 0
    assert "good" in helped.stdout and "not-typer" not in helped.stdout
    warnings = warning_lines(helped.stderr)
    assert len(warnings) == 5 and len(helped.stderr.splitlines()) == 5
    for name, reason in EXPECTED_REASONS.items():
        assert sum(f"plugin {name!r} " in w and w.endswith(reason) for w in warnings) == 1

    good = runner.invoke(app, ["good", "hi"])  # imports only the plugins named "good"
    assert (good.exit_code, good.stdout) == (0, "hi from good\n")
    assert good.stderr.splitlines() == [
        "Warning: plugin 'good' (package p88-zz-duplicate 1.0) not loaded: "
        + EXPECTED_REASONS["good"]
    ]
    builtin = runner.invoke(app, ["config", "--json"])  # built-ins never look at plugins
    assert builtin.exit_code == 0 and builtin.stderr == ""
    db_help = runner.invoke(app, ["db", "--help"])
    assert db_help.exit_code == 0 and "migrate" in db_help.stdout and db_help.stderr == ""

    broken = runner.invoke(app, ["broken-import"])
    assert broken.exit_code == 2
    assert warning_lines(broken.stderr) == [
        "Warning: plugin 'broken-import' (package p88-import-error 1.0) not loaded: "
        + EXPECTED_REASONS["broken-import"]
    ]
    assert "No such command 'broken-import'" in broken.stderr


def test_p88_plugins_lists_each_status(broken_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(broken_site))
    result = runner.invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    ours = [p for p in json.loads(result.stdout)["plugins"] if p["package"].startswith("p88-")]
    summary = {(p["name"], p["package"], p["version"], p["status"]) for p in ours}
    assert summary >= {
        ("good", "p88-good", "1.0", LOADED),
        ("broken-import", "p88-import-error", "1.0", FAILED),
        ("db", "p88-collide", "1.0", FAILED),
        ("not-typer", "p88-not-typer", "1.0", FAILED),
        ("good", "p88-zz-duplicate", "1.0", FAILED),
    }
    table = runner.invoke(app, ["plugins"]).stdout
    for word in ("p88-import-error", "p88-collide", "p88-not-typer", "loaded", "failed:"):
        assert word in table


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("user", 1, "Error: bad input (try again)"),
        ("database", 3, "Error: no database"),
        ("refused", 4, "Error: will not"),
        ("interrupt", 130, "Interrupted."),
    ],
)
def test_plugin_errors_map_to_documented_exit_codes(
    good_site: Path, monkeypatch: pytest.MonkeyPatch, kind: str, code: int, message: str
) -> None:
    monkeypatch.syspath_prepend(str(good_site))
    result = runner.invoke(app, ["good", "fail", kind])
    assert result.exit_code == code
    assert result.stderr.splitlines() == [message]


def test_broken_plugins_in_a_real_process(broken_site: Path) -> None:
    helped = run_p88("--help", pythonpath=broken_site)
    assert helped.returncode == 0
    assert len(warning_lines(helped.stderr)) == 5 == len(helped.stderr.splitlines())
    assert "good" in helped.stdout
    assert run_p88("good", "hi", pythonpath=broken_site).stdout == "hi from good\n"
    version = run_p88("--version", pythonpath=broken_site)
    assert version.returncode == 0 and version.stderr == ""


def test_no_plugins_switch(broken_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(broken_site))
    monkeypatch.setenv("P88_NO_PLUGINS", "1")
    helped = runner.invoke(app, ["--help"])
    assert helped.exit_code == 0 and helped.stderr == ""
    assert "good" not in helped.stdout.split()
    assert runner.invoke(app, ["good", "hi"]).exit_code == 2


# --- the plugin API -----------------------------------------------------------------------

PROMISED = {
    "EXIT_DATABASE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "EXIT_USER",
    "ConfigError", "Crossing", "DatabaseUnavailable", "P88Error", "RefusedError",
    "SessionSummary", "Stats", "StoreError", "connect", "console", "current_session_id",
    "database_url", "err_console", "first_crossings", "format_read_time", "locations",
    "print_json", "reads_after", "recent_reads", "sessions", "settings", "stats",
}  # fmt: skip


def test_plugin_api_is_the_documented_surface() -> None:
    """Changing what plugins may use is deliberate: update PROMISED and the docstring."""
    assert set(p88.plugin.__all__) == PROMISED
    doc = p88.plugin.__doc__ or ""
    for name in PROMISED:
        assert hasattr(p88.plugin, name), name
        if not name.startswith("EXIT_"):
            assert f"``{name}" in doc, f"p88.plugin's docstring does not document {name}"


def test_plugin_connect_uses_the_configured_database(p88_env: str) -> None:
    with p88.plugin.connect() as conn:
        row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None and row[0] == conninfo_to_dict(p88_env)["dbname"]
    assert p88.plugin.database_url() == p88_env


def test_importing_the_plugin_api_is_light() -> None:
    """p88 imports every plugin to list its commands; p88.plugin must not pull in the store."""
    code = "import sys, p88.plugin; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert "p88.plugin" in loaded
    assert "p88.store" not in loaded and "psycopg" not in loaded


def test_shell_completion_offers_plugin_commands(hello_dir: Path, broken_site: Path) -> None:
    """Plugins complete like built-ins, and broken ones do not garble the shell's line."""
    both = f"{hello_dir}{os.pathsep}{broken_site}"
    env = {"_P88_COMPLETE": "complete_bash", "COMP_WORDS": "p88 hel", "COMP_CWORD": "1"}
    result = run_p88(pythonpath=Path(both), **env)
    assert (result.stdout.split(), result.stderr) == (["hello-results"], "")
    env = {"_P88_COMPLETE": "complete_bash", "COMP_WORDS": "p88 hello-results ", "COMP_CWORD": "2"}
    assert run_p88(pythonpath=hello_dir, **env).stdout.split() == ["latest"]


def test_example_follows_the_help_rules(hello: Path) -> None:
    """The example is what plugin authors copy: help and an Example line on every command."""
    import typer

    from p88.cli.docs import walk

    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="p88")
    group = root.get_command(ctx, "hello-results")  # type: ignore[attr-defined]
    seen = list(walk(group, typer.Context(group, info_name="hello-results", parent=ctx)))
    assert [c.command_path for _, c in seen] == ["p88 hello-results", "p88 hello-results latest"]
    for command, _ in seen:
        assert "\nExample: p88 hello-results" in command.help
