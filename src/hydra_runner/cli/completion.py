"""Shell completion for bash, zsh and fish, on click's completion machinery.

``hydra-runner completion bash`` prints the script to source; the shell then runs
``hydra-runner`` with ``_HYDRA_RUNNER_COMPLETE=bash_complete`` on every TAB. Commands and
named commands complete as click completes commands; a TARGET from a text scan of the
project's files; the overrides after a TARGET from Hydra's own completion engine on the
target's config (:mod:`hydra_runner.composition.complete`). A named command completes as its
expansion does. Whatever fails, nothing is completed and nothing reaches the terminal.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any, Iterator, Optional

import click
from click.shell_completion import (
    BashComplete,
    CompletionItem,
    FishComplete,
    ShellComplete,
    ZshComplete,
    split_arg_string,
)

__all__ = [
    "COMPLETE_VAR",
    "SHELLS",
    "complete_from_environment",
    "completion_command",
    "completions",
    "hydra_app_files",
    "target_completions",
]

PROG_NAME = "hydra-runner"
COMPLETE_VAR = "_HYDRA_RUNNER_COMPLETE"
WORDBREAKS_VAR = "_HYDRA_RUNNER_WORDBREAKS"

# click's bash script sends COMP_WORDS, which bash has already cut at every '=' and ':' of
# COMP_WORDBREAKS ("+experiment=base" arrives as three words). This one sends the line itself;
# the answer is cut back to the part of the word bash replaces (see BashCompletion.complete).
_BASH_SOURCE = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response completion type value
    response=$(env COMP_LINE="$COMP_LINE" COMP_POINT="$COMP_POINT" \
%(wordbreaks_var)s="$COMP_WORDBREAKS" %(complete_var)s=bash_complete "$1" 2>/dev/null)
    COMPREPLY=()
    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"
        if [[ $type == 'plain' ]]; then
            COMPREPLY+=("$value")
        fi
    done
    # A key (x=), a package (a.) or a directory (src/) goes on being typed: no space after it.
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[=./:] ]]; then
        compopt -o nospace
    fi
    return 0
}

complete -o nosort -F %(complete_func)s %(prog_name)s
"""


class _Completion(ShellComplete):
    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        return completions(self.cli, args, incomplete)


class BashCompletion(_Completion, BashComplete):
    """Bash: reads ``COMP_LINE`` up to the cursor, answers for the word readline replaces."""

    source_template = _BASH_SOURCE

    def source_vars(self) -> Any:
        return {**super().source_vars(), "wordbreaks_var": WORDBREAKS_VAR}

    def get_completion_args(self) -> tuple[list[str], str]:
        line = os.environ.get("COMP_LINE", "")
        line = line[: int(os.environ.get("COMP_POINT", len(line)))]
        words = split_arg_string(line)
        incomplete = "" if not line or line[-1].isspace() or not words else words.pop()
        return words[1:], incomplete

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        breaks = os.environ.get(WORDBREAKS_VAR, " \t\n\"'><=;|&(:")
        # readline replaces only what follows the last word-break character of the word.
        cut = max((incomplete.rfind(c) for c in breaks if not c.isspace() and c not in "\"'"), default=-1) + 1
        prefix = incomplete[:cut]
        values = [str(item.value) for item in self.get_completions(args, incomplete)]
        return "\n".join(f"plain,{value[cut:]}" for value in values if value.startswith(prefix))


class ZshCompletion(_Completion, ZshComplete):
    """Zsh: click's script and protocol."""


class FishCompletion(_Completion, FishComplete):
    """Fish: click's script and protocol."""


SHELLS: dict[str, type[ShellComplete]] = {"bash": BashCompletion, "zsh": ZshCompletion, "fish": FishCompletion}


def completions(cli: click.Command, args: list[str], incomplete: str) -> list[CompletionItem]:
    """What completes ``incomplete`` after ``hydra-runner ARGS``; never raises."""
    try:
        return _complete(cli, list(args), incomplete)
    except (Exception, SystemExit):  # Hydra's argument parser exits on what it cannot parse
        return []


def _complete(cli: click.Command, args: list[str], incomplete: str) -> list[CompletionItem]:
    # click's own steps from args to the object that completes (ShellComplete.get_completions),
    # taken one by one so that TARGET and OVERRIDES can be answered here.
    from click.shell_completion import _resolve_context, _resolve_incomplete

    from hydra_runner.cli.named import NamedCommand

    ctx = _resolve_context(cli, {}, PROG_NAME, list(args))
    if isinstance(ctx.command, NamedCommand):
        own, extra = ctx.command.split_own_options(ctx.args)
        items = [CompletionItem("--dry-run")] if not extra and not own and incomplete.startswith("-") else []
        return items + _complete(cli, ctx.command.table.expand(ctx.command.name or "", extra), incomplete)
    obj, incomplete = _resolve_incomplete(ctx, list(args), incomplete)
    if obj is cli and isinstance(cli, click.Group):
        return obj.shell_complete(ctx, incomplete) + _named_command_items(cli, incomplete)
    if isinstance(obj, click.Argument) and obj.name == "target":
        return [CompletionItem(value) for value in target_completions(incomplete)]
    if isinstance(obj, click.Argument) and obj.name == "overrides":
        return [CompletionItem(value) for value in _override_completions(ctx, incomplete)]
    return obj.shell_complete(ctx, incomplete)


def _named_command_items(group: click.Group, incomplete: str) -> list[CompletionItem]:
    from hydra_runner.cli.named import load_named_commands
    from hydra_runner.errors import HydraRunnerError

    try:
        table = load_named_commands(set(group.commands))
    except HydraRunnerError:  # the built-in commands still complete
        return []
    if table is None:
        return []
    return [CompletionItem(name, help=table.sources[name]) for name in sorted(table.words) if name.startswith(incomplete)]


def _override_completions(ctx: click.Context, incomplete: str) -> list[str]:
    params = ctx.params
    if not params.get("no_venv"):
        from hydra_runner.cli._venv import reexec_in_project_venv

        # The target imports the project's own dependencies, as `run` would.
        reexec_in_project_venv()
    from hydra_runner.composition.complete import override_completions

    with _quiet_stdout():
        return override_completions(
            params["target"],
            list(params.get("overrides") or ()),
            incomplete,
            multirun=ctx.command.name == "multirun" or bool(params.get("multirun")),
            config_path=params.get("config_path"),
            config_name=params.get("config_name"),
            config_dir=params.get("config_dir"),
            version_base=params.get("version_base"),
        )


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Drop what the project's code prints while its target is imported: only answers go to stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


# Folders that hold no app of the project's own, and would make the scan slow.
_SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages", "outputs", "multirun", "build", "dist", "venv", "env"}
_MAX_DEPTH = 6
_MAX_FILE_BYTES = 1_000_000


def hydra_app_files(root: Path) -> list[Path]:
    """The ``.py`` files under ``root`` (relative to it) whose text mentions ``hydra.main``.

    A text scan, not an import: it runs on every TAB and must not run the project's code.
    """
    found = []
    for directory, dirnames, filenames in os.walk(root):
        depth = len(Path(directory).relative_to(root).parts)
        dirnames[:] = [] if depth >= _MAX_DEPTH else sorted(
            d for d in dirnames if not d.startswith(".") and d not in _SKIPPED_DIRS
        )
        for name in sorted(filenames):
            path = Path(directory, name)
            if name.endswith(".py") and _mentions_hydra_main(path):
                found.append(path.relative_to(root))
    return found


def _mentions_hydra_main(path: Path) -> bool:
    try:
        return path.stat().st_size <= _MAX_FILE_BYTES and "hydra.main" in path.read_text("utf-8", errors="ignore")
    except OSError:  # a dangling link, a file without read permission
        return False


def target_completions(incomplete: str, root: Optional[Path] = None) -> list[str]:
    """TARGETs starting with ``incomplete``: ``src.train``, ``src/train.py`` and the folders on the way."""
    lead = "./" if incomplete.startswith("./") else ""
    candidates = set()
    for path in hydra_app_files(root or Path.cwd()):
        candidates.add(path.as_posix())
        candidates.update("/".join(path.parts[:n]) + "/" for n in range(1, len(path.parts)))
        module = path.with_suffix("").parts
        if all(part.isidentifier() for part in module):
            candidates.add(".".join(module))
    if lead:
        candidates = {c for c in candidates if "/" in c or c.endswith(".py")}
    # A folder already typed in full is no answer: what is inside it is.
    return sorted(lead + c for c in candidates if (lead + c).startswith(incomplete) and lead + c != incomplete)


def complete_from_environment(cli: click.Command, instruction: str) -> int:
    """Answer the shell (``{shell}_complete``) or print its script (``{shell}_source``).

    Only the answer reaches the terminal: stderr goes nowhere, and whatever the project's
    code prints while its target is imported is dropped.
    """
    shell, _, action = instruction.partition("_")
    comp_cls = SHELLS.get(shell)
    if comp_cls is None or action not in ("complete", "source"):
        return 1
    comp = comp_cls(cli, {}, PROG_NAME, COMPLETE_VAR)
    if action == "source":
        click.echo(comp.source(), nl=False)
        return 0
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    click.echo(comp.complete())
    return 0


@click.command("completion")
@click.argument("shell", type=click.Choice(sorted(SHELLS)))
@click.pass_context
def completion_command(ctx: click.Context, shell: str) -> int:
    """Print the shell completion script for SHELL (bash, zsh or fish).

    \b
    bash:  eval "$(hydra-runner completion bash)"      in ~/.bashrc
    zsh:   eval "$(hydra-runner completion zsh)"       in ~/.zshrc, after compinit
    fish:  hydra-runner completion fish | source       in ~/.config/fish/config.fish

    Completes commands and named commands, TARGET (files and modules with @hydra.main) and,
    after a TARGET, its overrides: config keys, config group options (experiment=, hydra/launcher=).
    """
    comp = SHELLS[shell](ctx.find_root().command, {}, PROG_NAME, COMPLETE_VAR)
    click.echo(comp.source(), nl=False)
    return 0
