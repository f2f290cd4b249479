"""``hydra-runner diff A B``: how two jobs or two sweeps differ. The logic is :mod:`hydra_runner.repro.diff`."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["code_lines", "diff_command", "format_diff"]


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff_command(a: str, b: str, as_json: bool) -> int:
    """Show how two jobs, or two sweeps, differ.

    A and B are job dirs (outputs/DATE/TIME, multirun/DATE/TIME/N), SWEEP_DIR#N, or two
    sweep dirs. For jobs: the composed configs' changed keys, the overrides, the returned
    values and the code (commit, dirty tree, code.patch). For sweeps: their command,
    overrides and code, and their jobs paired by overrides.

    \b
      hydra-runner diff outputs/2024-05-01/10-00-00 outputs/2024-05-02/09-30-00
      hydra-runner diff multirun/2024-05-01/10-00-00#0 multirun/2024-05-01/10-00-00#3
      hydra-runner diff multirun/2024-05-01/10-00-00 multirun/2024-05-02/09-30-00 --json
    """
    from hydra_runner.repro.diff import compare, to_json_text

    diff = compare(a, b)
    click.echo(to_json_text(diff) if as_json else "\n".join(format_diff(diff)))
    return 0


def format_diff(diff: Any) -> list[str]:
    """The lines ``diff`` prints for a :class:`JobDiff` or a :class:`SweepDiff`."""
    from hydra_runner.journal.tables import short_command
    from hydra_runner.repro.diff import JobDiff

    if isinstance(diff, JobDiff):
        lines = [f"a: {diff.a.name}", f"b: {diff.b.name}", "", "config:"]
        lines += _changes(diff.config, "same composed config")
        lines += ["", "overrides:"]
        lines += [f"  - {o}" for o in diff.overrides_only_a] + [f"  + {o}" for o in diff.overrides_only_b]
        if not (diff.overrides_only_a or diff.overrides_only_b):
            lines.append("  (same overrides)")
        lines += ["", "values:"]
        lines += _changes(diff.values, "same values" if diff.a.sweep_dir and diff.b.sweep_dir
                          else "a single run keeps no returned value")
    else:
        lines = [f"a: {diff.a.sweep_dir}", f"b: {diff.b.sweep_dir}", "", "command:"]
        for side, sweep in (("a", diff.a), ("b", diff.b)):
            lines.append(f"  {side}: {short_command(sweep.meta.get('command') or [], width=200)}")
        lines += ["", "overrides:"]
        lines += [f"  - {o}" for o in diff.a.overrides if o not in diff.b.overrides]
        lines += [f"  + {o}" for o in diff.b.overrides if o not in diff.a.overrides]
        if diff.a.overrides == diff.b.overrides:
            lines.append("  (same overrides)")
        lines += ["", "jobs (paired by overrides):"]
        for pair in diff.pairs:
            where = f"#{pair.a if pair.a is not None else '-'} / #{pair.b if pair.b is not None else '-'}"
            lines.append(f"  {where}  {' '.join(pair.overrides) or '(no overrides)'}")
            if pair.a is not None and pair.b is not None:
                other = next(r for r in diff.b.records if r.num == pair.b)
                if sorted(other.overrides) != sorted(pair.overrides):
                    lines.append(f"      b: {' '.join(other.overrides)}")
            if pair.a is None or pair.b is None:
                lines.append(f"      only in {'a' if pair.b is None else 'b'}")
            lines += ["  " + line for line in _changes(pair.values, "")]
    return lines + ["", "code:", *code_lines(diff.code)]


def _changes(changes: list[Any], same: str) -> list[str]:
    from hydra_runner.repro.diff import ABSENT

    if not changes:
        return [f"  ({same})"] if same else []
    width = max(len(change.key) for change in changes)
    return [f"  {change.key:<{width}}  {_shown(change.a, ABSENT)} -> {_shown(change.b, ABSENT)}"
            for change in changes]


def _shown(value: Any, absent: Any) -> str:
    return "(absent)" if value is absent else repr(value) if isinstance(value, str) else str(value)


def code_lines(code: Any) -> list[str]:
    """A :class:`CodeDiff` as lines: each side's commit and dirty tree, then what differs."""
    lines = []
    for side, record in (("a", code.a), ("b", code.b)):
        commit = record.commit[:10] if record.commit else "(no git commit)"
        lines.append(f"  {side}: {commit}{' dirty' if record.dirty else ''}")
    if code.same:
        lines.append("  (same code)")
    else:
        if not code.same_commit:
            lines.append("  the commits differ")
        if code.patch_differs:
            lines.append("  the uncommitted changes (code.patch) differ")
    return lines
