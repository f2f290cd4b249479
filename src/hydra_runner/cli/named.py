"""Named commands: a project's command lines, written once in its ``pyproject.toml``.

    [tool.hydra-runner.commands]
    run-base = "run src.train +experiment=base"
    sweep = "multirun src.train +experiment=base,large,small -j 2"
    sweep-lr = "sweep experiment.lr=0.1,0.01"

``hydra-runner run-base x=1`` runs ``hydra-runner run src.train +experiment=base x=1`` through
the same click CLI, in this process. An expansion starts with a built-in command or with another
named command (``sweep-lr`` above), as long as no loop forms. The table is read only when a
command name is not built in, and for help and ``hydra-runner commands``.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Optional

import click

from hydra_runner.errors import HydraRunnerError, UsageError

__all__ = [
    "NamedCommand",
    "NamedCommands",
    "commands_command",
    "format_named_commands",
    "load_named_commands",
    "named_command",
    "named_command_names",
]

TABLE = "[tool.hydra-runner.commands]"
OWN_OPTIONS = ("--dry-run", "--help", "-h")


@dataclass
class NamedCommands:
    """The named commands of one ``pyproject.toml``: each as written and as split into words."""

    path: Path
    sources: dict[str, str] = field(default_factory=dict)
    words: dict[str, list[str]] = field(default_factory=dict)

    def expand(self, name: str, extra: list[str]) -> list[str]:
        """The built-in command line ``name`` stands for, with ``extra`` appended.

        >>> table = NamedCommands(Path("pyproject.toml"), words={"a": ["run", "t"], "b": ["a", "x=1"]})
        >>> table.expand("b", ["y=2"])
        ['run', 't', 'x=1', 'y=2']
        """
        args = [*self.words[name], *extra]
        while args[0] in self.words:  # loops were refused when the table was read
            args = [*self.words[args[0]], *args[1:]]
        return args


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise UsageError(
                f"reading named commands from {path} needs a TOML parser, and Python {sys.version_info[0]}."
                f"{sys.version_info[1]} has none built in",
                fix="pip install tomli",
            ) from None
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path} is not valid TOML: {e}", fix="correct the TOML syntax where the message points") from e


def _find_table(start: Path) -> Optional[tuple[Path, Any]]:
    """The first ``pyproject.toml`` from ``start`` upwards that has the table, and the table."""
    for directory in (start, *start.parents):
        path = directory / "pyproject.toml"
        if path.is_file():
            tool = _load_toml(path).get("tool")
            runner = tool.get("hydra-runner") if isinstance(tool, dict) else None
            if isinstance(runner, dict) and "commands" in runner:
                return path, runner["commands"]
    return None


def _split(name: str, value: Any, path: Path) -> list[str]:
    where = f"named command '{name}' in {path}"
    if not name or name.startswith("-") or any(c.isspace() for c in name):
        raise UsageError(f"'{name}' in {TABLE} of {path} cannot be a command name",
                         fix="use a name without spaces that does not start with '-', e.g. run-base")
    if not isinstance(value, str):
        raise UsageError(f"{where} is {value!r} ({type(value).__name__}), not a string",
                         fix=f'write the command line in quotes: {name} = "run src.train +experiment=base"')
    try:
        words = shlex.split(value)
    except ValueError as e:
        raise UsageError(f"{where} is not a valid command line ({e}): {value}",
                         fix="close its quotes (it is split as a shell would split it)") from e
    if not words:
        raise UsageError(f"{where} is empty", fix=f'give it a command line: {name} = "run src.train"')
    return words


def _check_chains(table: NamedCommands, builtins: Collection[str]) -> None:
    known = ", ".join(sorted(builtins))
    for name in table.words:
        chain = [name]
        while table.words[chain[-1]][0] in table.words:
            chain.append(table.words[chain[-1]][0])
            if chain[-1] in chain[:-1]:
                raise UsageError(
                    f"named commands in {table.path} expand into each other in a loop: {' -> '.join(chain)}",
                    fix=f"start one of them with a built-in command ({known})",
                )
        first = table.words[chain[-1]][0]
        if first not in builtins:
            raise UsageError(
                f"named command '{chain[-1]}' in {table.path} starts with '{first}', "
                "which is neither a built-in command nor a named one",
                fix=f"start it with one of: {known} (or the name of another named command)",
            )


def load_named_commands(builtins: Collection[str], start: Optional[Path] = None) -> Optional[NamedCommands]:
    """The named commands from the nearest ``pyproject.toml`` above ``start`` (default: cwd) that has them.

    None when no ``pyproject.toml`` up to the filesystem root has the table. A malformed table,
    or a name that is also a built-in command, raises :class:`UsageError`.
    """
    found = _find_table((start or Path.cwd()).absolute())
    if found is None:
        return None
    path, commands = found
    if not isinstance(commands, dict):
        raise UsageError(f"{TABLE} in {path} is not a table of names and command lines",
                         fix=f'write it as {TABLE} with lines such as run-base = "run src.train +experiment=base"')
    table = NamedCommands(path)
    for name, value in commands.items():
        table.words[name] = _split(name, value, path)
        table.sources[name] = value
        if name in builtins:
            raise UsageError(
                f"named command '{name}' in {path} has the name of the built-in command '{name}'",
                fix=f"rename it in {TABLE} of {path} (a built-in command always wins)",
            )
    _check_chains(table, builtins)
    return table


def named_command_names(builtins: Collection[str]) -> list[str]:
    """The names of the project's named commands; none when the table is missing or malformed."""
    try:
        table = load_named_commands(builtins)
    except HydraRunnerError:
        return []
    return [] if table is None else sorted(table.words)


class NamedCommand(click.Command):
    """One named command: its own options come right after its name, every other argument is appended."""

    def __init__(self, name: str, table: NamedCommands) -> None:
        super().__init__(
            name,
            help=f"\b\nRuns: hydra-runner {table.sources[name]}\n(from {table.path})",
            epilog=(
                "ARGS are appended to the command line. Right after the name, --dry-run prints the "
                "command line instead of running it and -h/--help shows this; everything after -- "
                "is appended as it is (so `-- --dry-run` reaches a multirun's own --dry-run)."
            ),
            short_help=table.sources[name],
            add_help_option=False,
        )
        self.table = table

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return ["[--dry-run]", "[ARGS]..."]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Every argument belongs to the expansion (its options too), so click parses none.
        ctx.args = list(args)
        return ctx.args

    @staticmethod
    def split_own_options(args: list[str]) -> tuple[set[str], list[str]]:
        """The named command's own options (leading ones, up to ``--``) and the arguments to append."""
        own: set[str] = set()
        rest = list(args)
        while rest and rest[0] in (*OWN_OPTIONS, "--"):
            option = rest.pop(0)
            if option == "--":
                break
            own.add(option)
        return own, rest

    def invoke(self, ctx: click.Context) -> Any:
        own, extra = self.split_own_options(ctx.args)
        if own & {"--help", "-h"}:
            click.echo(ctx.get_help())
            return 0
        args = self.table.expand(self.name or "", extra)
        if "--dry-run" in own:
            click.echo(shlex.join(["hydra-runner", *args]))
            return 0
        from hydra_runner.cli._errors import run_guarded

        # As if the expansion had been typed: errors are explained with its overrides, and the
        # journal records it (sys.argv) for `resume`, so an edited table cannot change what
        # resuming this sweep runs.
        saved_argv = sys.argv
        sys.argv = [saved_argv[0], *args]
        try:
            return run_guarded(ctx.find_root().command, args, obj=ctx.obj)
        finally:
            sys.argv = saved_argv


def named_command(name: str, builtins: Collection[str]) -> Optional[NamedCommand]:
    """The named command ``name`` of this project, if it has one."""
    table = load_named_commands(builtins)
    if table is None or name not in table.words:
        return None
    return NamedCommand(name, table)


def format_named_commands(formatter: click.HelpFormatter, builtins: Collection[str]) -> None:
    """The "Named commands" section of ``hydra-runner --help`` (help still works with a broken table)."""
    try:
        table = load_named_commands(builtins)
    except HydraRunnerError as e:
        with formatter.section("Named commands"):
            formatter.write_text(f"error: {e.message}")
            if e.fix:
                formatter.write_text(f"fix: {e.fix}")
        return
    if table is not None and table.words:
        with formatter.section(f"Named commands (from {table.path.name}; see hydra-runner commands)"):
            formatter.write_dl(sorted(table.sources.items()))


@click.command("commands")
@click.pass_context
def commands_command(ctx: click.Context) -> int:
    """List the project's named commands (the [tool.hydra-runner.commands] table of pyproject.toml)."""
    group: Any = ctx.find_root().command
    table = load_named_commands(set(group.commands))
    if table is None or not table.words:
        click.echo(f"No named commands: no pyproject.toml from {Path.cwd()} upwards has a {TABLE} table.")
        click.echo(f'Add one, e.g.\n\n  {TABLE}\n  run-base = "run src.train +experiment=base"')
        return 0
    click.echo(f"Named commands from {table.path}:")
    width = max(len(name) for name in table.words)
    for name in sorted(table.sources):
        click.echo(f"  {name:<{width}}  {table.sources[name]}")
    return 0
