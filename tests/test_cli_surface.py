"""The command surface as a whole: reference docs, help text, exit codes, completion.

The command tree is walked from the typer app at test time, so commands added later by
anyone are held to the same rules without editing this file.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import p88
from p88 import errors
from p88.cli import docs
from p88.cli.main import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def p88_script() -> list[str]:
    script = Path(sys.executable).parent / "p88"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from p88.cli.main import main; main()"]


def run_p88(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environ.update(env)
    return subprocess.run(
        [*p88_script(), *args], capture_output=True, text=True, env=environ, timeout=60
    )


# --- reference and help -------------------------------------------------------------------


def test_cli_reference_is_current() -> None:
    path = REPO / "docs" / "cli.md"
    current = path.read_text() if path.exists() else ""
    wanted = docs.render()
    if current != wanted:
        diff = difflib.unified_diff(
            current.splitlines(), wanted.splitlines(), "docs/cli.md", "generated", lineterm=""
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(
            f"docs/cli.md is stale: regenerate it with `{docs.REGENERATE}` and commit it.\n"
            + shown,
            pytrace=False,
        )


COMMANDS = docs.commands()


@pytest.mark.parametrize(("command", "ctx"), COMMANDS, ids=[c.command_path for _, c in COMMANDS])
def test_every_command_has_help_and_an_example(command: object, ctx: object) -> None:
    path = ctx.command_path  # type: ignore[attr-defined]
    text = (command.help or "").strip()  # type: ignore[attr-defined]
    assert text, f"{path} has no help text: give it a docstring"
    examples = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("Example:")]
    assert examples, f"{path}: its help needs a line 'Example: {path} ...'"
    if not hasattr(command, "list_commands"):  # a leaf: the example runs this very command
        assert any(path in ex for ex in examples), f"{path}: the example does not use {path}"
    shown = runner.invoke(app, [*path.split()[1:], "--help"], env={"P88_NO_PLUGINS": "1"})
    assert shown.exit_code == 0, shown.output
    assert "Example:" in shown.stdout, f"{path} --help does not show its example"


def test_the_walk_sees_every_registered_command() -> None:
    paths = {ctx.command_path for _, ctx in COMMANDS}
    assert {"p88", "p88 db", "p88 db migrate", "p88 config", "p88 plugins"} <= paths


def test_help_in_a_real_process() -> None:
    result = run_p88("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: p88" in result.stdout
    for name in ("db", "config", "plugins"):
        assert f" {name} " in result.stdout
    assert result.stderr == ""


# --- exit codes ---------------------------------------------------------------------------

DOCUMENTED = {code for code, _, _, _ in docs.exit_codes()}


def test_exit_codes_are_the_documented_set() -> None:
    assert DOCUMENTED == {0, 1, 2, 3, 4, 130}
    for name in (n for n in vars(errors) if n.startswith("EXIT_")):
        assert name in docs.EXIT_MEANINGS


def all_p88_modules() -> list[str]:
    found = pkgutil.walk_packages(p88.__path__, prefix="p88.")
    return sorted(m.name for m in found if not m.name.endswith(".__main__"))


def test_every_error_class_exits_with_a_documented_code() -> None:
    for name in all_p88_modules():
        importlib.import_module(name)
    stack: list[type[errors.P88Error]] = [errors.P88Error]
    while stack:
        cls = stack.pop()
        assert cls.exit_code in DOCUMENTED, f"{cls.__module__}.{cls.__name__}: {cls.exit_code}"
        stack.extend(cls.__subclasses__())


EXIT_CALLS = {"Exit", "exit", "SystemExit", "_exit"}


def test_no_undocumented_exit_code_in_the_source() -> None:
    """Literal exit codes anywhere in p88 (typer.Exit(n), sys.exit(n), ...) are documented."""
    bad = []
    for path in sorted((REPO / "src" / "p88").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0]
            if name in EXIT_CALLS and isinstance(arg, ast.Constant) and type(arg.value) is int:
                if arg.value not in DOCUMENTED:
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}: exit {arg.value}")
    assert not bad, "undocumented exit codes (see docs/cli.md, Exit codes): " + "; ".join(bad)


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["--no-such-option"]).exit_code == errors.EXIT_USAGE
    assert runner.invoke(app, ["no-such-command"]).exit_code == errors.EXIT_USAGE
    assert runner.invoke(app, ["db", "archive", "--older-than"]).exit_code == errors.EXIT_USAGE


def test_unreachable_database_exits_3_with_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["--db", "postgresql://p88@127.0.0.1:1/p88", "db", "status"],
        env={"P88_CONFIG": str(tmp_path / "p88.toml")},
    )
    assert result.exit_code == errors.EXIT_DATABASE
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach PostgreSQL at 127.0.0.1:1")


def test_user_error_exits_1_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "p88.toml"
    bad.write_text("no_such_setting = 1\n")
    result = runner.invoke(app, ["config"], env={"P88_CONFIG": str(bad)})
    assert result.exit_code == errors.EXIT_USER
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {bad}: unknown setting 'no_such_setting' (known settings:")


# --- shell completion ---------------------------------------------------------------------


def test_install_completion_writes_the_shell_script(tmp_path: Path) -> None:
    # Name the shell explicitly: auto-detection reads the process tree, which differs
    # between a terminal, CI and a background job.
    result = run_p88(
        "--install-completion",
        "bash",
        HOME=str(tmp_path),
        SHELL="/bin/bash",
        _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1",
    )
    assert result.returncode == 0, result.stderr
    assert "completion installed" in result.stdout.lower()
    script = (tmp_path / ".bash_completions" / "p88.sh").read_text()
    assert "_P88_COMPLETE=complete_bash" in script
    assert "p88.sh" in (tmp_path / ".bashrc").read_text()


def test_completion_offers_commands_and_options() -> None:
    env = {"_P88_COMPLETE": "complete_bash", "COMP_WORDS": "p88 pl", "COMP_CWORD": "1"}
    assert run_p88(**env).stdout.split() == ["plugins"]
    env = {"_P88_COMPLETE": "complete_bash", "COMP_WORDS": "p88 db ", "COMP_CWORD": "2"}
    assert {"migrate", "status", "archive"} <= set(run_p88(**env).stdout.split())
