"""A run's intent in one object: what the CLI or the API was asked, handed to whatever carries it out.

The CLI and the API build a :class:`RunContext` from their flags or keywords; the app
passes it to the sweeper, which passes it to the launcher (``use_run``). Nothing about a
run travels through module state or environment variables: reading a launcher, one
can see where its options, its head-started workers and its command come from.

Launchers and sweepers that Hydra builds itself (a plain ``@hydra.main`` app with
``hydra/launcher=runner_pool``) get a context of their own, with no head start.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional

from hydra_runner.errors import UsageError
from hydra_runner.options._base import is_unset
from hydra_runner.options.launchers import (
    LaunchOptions,
    choose_launcher,
    launcher_keywords,
)
from hydra_runner.options.tracking import TRACKERS, TrackingOptions, choose_trackers

if TYPE_CHECKING:
    from hydra_runner.journal.meta import CodeState
    from hydra_runner.launchers.pool._processes import WorkerProcess
    from hydra_runner.launchers.pool._slots import Slot
    from hydra_runner.sweepers._study_process import StudyProcess

__all__ = ["HeadStart", "RunContext", "option_keywords"]


def option_keywords() -> set[str]:
    """Every keyword of the run options: ``launcher``, each launcher flag, each tracker's switch and settings."""
    names = {"launcher", *launcher_keywords()}
    for switch, cls in TRACKERS.items():
        names.update([switch, *cls.keywords()])
    return names


class HeadStart:
    """Work started before the run needs it, while the CLI still reads its command line.

    Each piece is kept only where the benchmarks show its gain (docs/benchmarks.md):
    pool workers forked before the task's import (``workers``), the study process of an
    Optuna sweep (``study``), both started by the CLI, and git's answer about the code.
    The backends take what they can use; :meth:`close` stops what nobody took.
    """

    def __init__(self) -> None:
        self.workers: list[WorkerProcess] = []
        self.study: Optional[StudyProcess] = None
        self.code: Optional[CodeState] = None

    def take_worker(self, slot: Slot, cwd: str) -> Optional[WorkerProcess]:
        for process in self.workers:
            if process.slot == slot and process.cwd == cwd and process.proc.poll() is None:
                self.workers.remove(process)
                return process
        return None

    def take_study_process(self) -> Optional[StudyProcess]:
        study, self.study = self.study, None
        return study

    def ask_git(self, cwd: str) -> None:
        from hydra_runner.journal.meta import CodeState

        self.code = CodeState(cwd)
        self.code.ask_in_background()

    def code_state(self, cwd: str) -> CodeState:
        """Git's answer about ``cwd``: the one asked ahead, else asked now; asked once per run."""
        from hydra_runner.journal.meta import CodeState

        if self.code is None or self.code.cwd != cwd:
            self.code = CodeState(cwd).ask()
        return self.code.answer()

    def close(self) -> None:
        while self.workers:
            self.workers.pop().discard()
        if self.study is not None:
            self.study.abandon()
            self.study = None


@dataclass
class RunContext:
    """What one command or API call asked for, beyond the task's overrides."""

    #: The backend for a sweep's jobs and its options; None: as the config says.
    launcher: Optional[LaunchOptions] = None
    #: Trackers switched on by flags (a config may add its own as callbacks).
    trackers: list[TrackingOptions] = field(default_factory=list)
    #: The command that runs this again (``resume``); None: this interpreter's own.
    command: Optional[list[str]] = None
    head_start: HeadStart = field(default_factory=HeadStart)
    #: Whether a sweep returns every job's result (Hydra's API) or only the failed ones: the
    #: CLI reads none, and a long grid then keeps the parent's memory flat.
    keep_returns: bool = True
    #: Set by the sweep when only hydra-runner's own code ran in this process (see cli/_exit.py).
    only_own_code_ran: bool = False
    #: How many jobs the command line asks for, when it alone says (a grid of plain values): the
    #: pool starts no more workers than that until it knows. None: not known before composing.
    expected_jobs: Optional[int] = None
    #: The sweep dir whose journal the run keeps, once it is open (named in the message after an interrupt).
    sweep_dir: Optional[Path] = None

    @classmethod
    def from_keywords(cls, keywords: Mapping[str, Any], *, multirun: bool,
                      command: Optional[list[str]] = None) -> RunContext:
        """From the CLI's flags or the API's keywords (unknown keywords are the caller's to refuse)."""
        launcher = choose_launcher({key: keywords[key] for key in ("launcher", *launcher_keywords())
                                    if key in keywords})
        trackers = choose_trackers(keywords)
        if launcher is not None and not multirun:
            specs = launcher_keywords()
            flags = [specs[key].info.shown_flag(specs[key].name) if key in specs else f"--{key}"
                     for key, value in keywords.items() if not is_unset(value) and key in {"launcher", *specs}]
            raise UsageError(f"{', '.join(flags)} only apply to sweeps (a launcher runs the jobs of a multirun)",
                             fix="use hydra-runner multirun (or run -m), or hydra_multirun")
        return cls(launcher=launcher, trackers=trackers, command=command)

    def overrides(self) -> list[str]:
        """The Hydra overrides these options stand for, so the config records how the run ran."""
        args = [] if self.launcher is None else self.launcher.overrides()
        for tracker in self.trackers:
            args.extend(tracker.overrides())
        return args

    def recorded_command(self) -> list[str]:
        return list(self.command) if self.command is not None else [sys.executable, *sys.argv]

    def close(self) -> None:
        self.head_start.close()
