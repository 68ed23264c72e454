"""Plugin commands: installed packages add ``p88`` subcommands through entry points.

A package registers a typer app under the entry-point group ``p88.commands``::

    [project.entry-points."p88.commands"]
    hello-results = "p88_hello_results:app"

and, once it is installed beside p88, ``p88 hello-results ...`` exists. What a plugin may
import from p88 is ``p88.plugin``; the example is ``examples/p88-hello-results``.

Discovery is lazy so that p88 stays quick to start: a built-in command (``p88 db status``)
never looks at plugins. Entry points are read, and plugin modules imported, only when p88
lists its commands (``p88 --help``, shell completion, ``p88 plugins``) or is asked for a
name it does not know. A plugin that cannot be used (its import fails, it is not a typer
app, its name is a built-in's or an earlier plugin's) is left out with ONE warning line on
stderr naming it and the reason; every other command keeps working. ``P88_NO_PLUGINS=1``
runs p88 without any plugin, to rule one out.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import typer

from p88.cli._app import P88Group, err, out, print_json
from p88.errors import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "p88.commands"
DISABLE_ENV = "P88_NO_PLUGINS"

LOADED = "loaded"
FAILED = "failed"


@dataclass(frozen=True)
class PluginInfo:
    """One entry point of ``p88.commands`` and what became of it."""

    name: str
    package: str
    version: str
    target: str
    status: str
    reason: str | None = None

    def warning(self) -> str:
        """The single line printed when this plugin is left out."""
        return (
            f"Warning: plugin {self.name!r} (package {self.package} {self.version}) "
            f"not loaded: {self.reason}"
        )


@dataclass(frozen=True)
class Plugins:
    """The result of one discovery: usable commands by name, and a report on every plugin."""

    commands: dict[str, Any]  # name -> click command (typer vendors click privately)
    report: tuple[PluginInfo, ...]

    @property
    def failed(self) -> tuple[PluginInfo, ...]:
        return tuple(info for info in self.report if info.status == FAILED)


def plugins_disabled() -> bool:
    """True when ``P88_NO_PLUGINS`` is set to anything but empty or ``0``."""
    return os.environ.get(DISABLE_ENV, "") not in ("", "0")


def entry_points() -> list[EntryPoint]:
    """The installed ``p88.commands`` entry points, in a stable order (name, package)."""
    from importlib.metadata import entry_points as all_entry_points

    return sorted(all_entry_points(group=GROUP), key=lambda ep: (ep.name, _package(ep)[0]))


def discover(builtins: Collection[str], eps: Iterable[EntryPoint] | None = None) -> Plugins:
    """Load every plugin whose name is free; report each one, loaded or not and why."""
    commands: dict[str, Any] = {}
    owners: dict[str, str] = {}
    report: list[PluginInfo] = []
    for ep in entry_points() if eps is None else eps:
        package, version = _package(ep)
        command: Any = None
        reason: str | None
        if ep.name in builtins:
            reason = f"its name collides with the built-in command {ep.name!r}"
        elif ep.name in owners:
            reason = f"its name is already taken by the plugin from package {owners[ep.name]}"
        else:
            command, reason = load(ep)
        if command is None:
            report.append(PluginInfo(ep.name, package, version, ep.value, FAILED, reason))
            continue
        commands[ep.name] = command
        owners[ep.name] = package
        report.append(PluginInfo(ep.name, package, version, ep.value, LOADED))
    return Plugins(commands, tuple(report))


def load(ep: EntryPoint) -> tuple[Any, str | None]:
    """Import one plugin and build its command group, or say why it cannot be used.

    The plugin is added exactly as a built-in sub-app is (``add_typer``), so its commands,
    help and options behave like p88's own.
    """
    try:
        obj = ep.load()
    except (Exception, SystemExit) as exc:  # third-party code: reported, never raised
        return None, f"import failed: {_describe(exc)}"
    if not isinstance(obj, typer.Typer):
        return None, f"{ep.value} is not a typer app (it is {type(obj).__name__})"
    holder = typer.Typer(add_completion=False)
    holder.add_typer(obj, name=ep.name)
    try:
        group = typer.main.get_group(holder)
        command = group.commands[ep.name]
    except Exception as exc:  # a typer app typer cannot turn into commands (bad annotations)
        return None, f"typer cannot build its commands: {_describe(exc)}"
    return command, None


def _package(ep: EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return "(unknown)", "?"
    return dist.name, dist.version


def _describe(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class PluginGroup(P88Group):
    """The root group: built-in commands first, then installed plugins, loaded on demand.

    It also makes Ctrl-C print "Interrupted." and exit 130 (``EXIT_INTERRUPTED``) whatever
    the typer release: recent ones exit 130 silently, older ones print "Aborted!" and exit 1.
    """

    plugins_enabled: bool = True
    _plugins: Plugins | None = None
    _named: dict[str, Plugins] | None = None

    def _enabled(self) -> bool:
        return self.plugins_enabled and not plugins_disabled()

    def plugins(self, *, warn: bool = True) -> Plugins:
        """Discover every plugin once per group; one warning line per unusable plugin."""
        if self._plugins is None:
            self._plugins = discover(builtins=self.commands) if self._enabled() else Plugins({}, ())
            if warn:
                _warn(self._plugins)
        return self._plugins

    def plugin(self, name: str, *, warn: bool = True) -> Any:
        """The plugin command called ``name``, importing only the plugins of that name."""
        if self._plugins is not None:
            return self._plugins.commands.get(name)
        if self._named is None:
            self._named = {}
        if name not in self._named:
            eps = [ep for ep in entry_points() if ep.name == name] if self._enabled() else []
            self._named[name] = discover(builtins=self.commands, eps=eps)
            if warn:
                _warn(self._named[name])
        return self._named[name].commands.get(name)

    def list_commands(self, ctx: Any) -> list[str]:
        # Completion parses resiliently; a warning there would garble the shell's line.
        plugins = self.plugins(warn=not ctx.resilient_parsing)
        return [*super().list_commands(ctx), *plugins.commands]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        return self.plugin(cmd_name, warn=not ctx.resilient_parsing)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            err.print("Interrupted.")
            raise typer.Exit(EXIT_INTERRUPTED) from None


def _warn(plugins: Plugins) -> None:
    for info in plugins.failed:
        err.print(info.warning(), markup=False, soft_wrap=True)


def report(ctx: typer.Context) -> tuple[PluginInfo, ...]:
    """The plugin report of the running p88 (or of a fresh discovery outside one)."""
    root = ctx.find_root().command
    if isinstance(root, PluginGroup):
        return root.plugins(warn=False).report
    builtins = root.commands if isinstance(root, P88Group) else ()
    return discover(builtins=builtins).report


def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List installed plugins: name, package, version, and whether each loaded (and if not, why).

    A plugin is a package that registers a typer app under the entry-point group
    p88.commands; see the p88.plugin module for what it may use.

    Example: p88 plugins --json
    """
    infos = report(ctx)
    if as_json:
        print_json({"group": GROUP, "plugins": [asdict(info) for info in infos]})
        return
    if not infos:
        out.print(f"No plugins installed (entry-point group {GROUP}).")
        return
    from rich.table import Table

    table = Table(title=f"p88 plugins (entry-point group {GROUP})")
    for column in ("name", "package", "version", "status"):
        table.add_column(column)
    for info in infos:
        status = info.status if info.reason is None else f"{info.status}: {info.reason}"
        table.add_row(info.name, info.package, info.version, status)
    out.print(table)
