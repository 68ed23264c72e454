"""How much installed plugins cost p88's start-up: ``p88 --help`` with none and with three.

Run:  python bench/cli_startup.py [--rounds 15]

Three plugins are installed into a temporary directory: the real example
(examples/p88-hello-results, pip-installed offline) and two generated ones of the same
shape. Each round runs every case once, in turn, so machine noise hits all cases alike;
figures are medians of wall time per process, and the ratios compare cases measured in
the same run. ``p88 db --help`` is the control: built-in commands never look at plugins,
so its ratio should stay near 1.0.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "p88-hello-results"

GENERATED = '''
import typer
from p88 import plugin

app = typer.Typer(help="Generated benchmark plugin {n}.\\n\\nExample: p88 bench{n} ping")

@app.command()
def ping() -> None:
    """Answer. Example: p88 bench{n} ping"""
    plugin.console.print("pong")

@app.command()
def count(session: int) -> None:
    """Count a session's reads. Example: p88 bench{n} count 1"""
    with plugin.connect() as conn:
        plugin.console.print(plugin.stats(conn, session_id=session).overall.total_reads)
'''


def install_plugins(site: Path) -> None:
    """The example via pip (offline) plus two generated plugin distributions."""
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
            "--no-build-isolation", "--disable-pip-version-check", "--root-user-action=ignore",
            "--target", str(site), str(EXAMPLE),
        ],
        check=True,
    )  # fmt: skip
    for n in (1, 2):
        info = site / f"p88_bench{n}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: p88-bench{n}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[p88.commands]\nbench{n} = p88_bench{n}:app\n")
        (site / f"p88_bench{n}.py").write_text(textwrap.dedent(GENERATED.format(n=n)))


def p88_command() -> list[str]:
    script = Path(sys.executable).parent / "p88"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from p88.cli.main import main; main()"]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process; CPU time (user + system) barely moves when other
    work shares the machine, wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds

    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "P88_NO_PLUGINS")}
    with tempfile.TemporaryDirectory(prefix="p88-bench-plugins-") as tmp:
        site = Path(tmp)
        install_plugins(site)
        with_three = {**base, "PYTHONPATH": str(site)}
        listed = subprocess.run(
            [*p88_command(), "plugins"], env=with_three, capture_output=True, text=True
        ).stdout
        assert all(name in listed for name in ("hello-results", "bench1", "bench2")), listed
        cases = {
            "p88 --help, no plugins": (["--help"], base),
            "p88 --help, 3 plugins": (["--help"], with_three),
            "p88 --help, 3 installed, P88_NO_PLUGINS=1": (
                ["--help"],
                {**with_three, "P88_NO_PLUGINS": "1"},
            ),
            "p88 db --help, no plugins": (["db", "--help"], base),
            "p88 db --help, 3 plugins": (["db", "--help"], with_three),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for args, env in cases.values():  # warm the page cache and .pyc files
            timed([*p88_command(), *args], env)
        for _ in range(rounds):
            for name, (args, env) in cases.items():
                times[name].append(timed([*p88_command(), *args], env))

    wall = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in times.items()}
    print(f"p88 start-up, {rounds} rounds; median per process, ms")
    print(f"  {'case':<45} {'wall':>7} {'CPU':>7}")
    for name in times:
        print(f"  {name:<45} {wall[name] * 1000:7.1f} {cpu[name] * 1000:7.1f}")
    for label, a, b in (
        ("p88 --help", "p88 --help, 3 plugins", "p88 --help, no plugins"),
        ("p88 db --help", "p88 db --help, 3 plugins", "p88 db --help, no plugins"),
    ):
        print(
            f"ratio {label}, 3 plugins / none: wall {wall[a] / wall[b]:.2f}x, "
            f"CPU {cpu[a] / cpu[b]:.2f}x (+{(cpu[a] - cpu[b]) * 1000:.1f} ms CPU)"
        )


if __name__ == "__main__":
    main()
