"""The study process: a sweep's Optuna study held by a process the CLI forks ahead of time.

Importing Optuna (NumPy with it) takes a fifth of a second or more, which a sweep would
spend between composing its config and asking its first trial. When the command line
names the Optuna sweeper and the jobs run in other processes, the CLI forks this process
first, before it imports Hydra (:meth:`StudyProcess.fork`). The process imports Optuna meanwhile,
then holds the study the sweeper asks for (:meth:`StudyProcess.open`), answering the calls of a
:class:`RemoteStudy` one at a time: :class:`~.optuna_study.OptunaStudy`'s methods, with
their results or the exceptions they raised. So one process writes the study's storage,
and the sweep's own process never imports Optuna.
"""

from __future__ import annotations

import functools
import os
import pickle
import signal
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Callable, Optional

from hydra_runner._forked import ForkedChild, can_fork, fork_child, helper_ends
from hydra_runner.errors import HydraRunnerError

if TYPE_CHECKING:
    from hydra_runner.sweepers.optuna_study import OptunaStudy, StudySettings

__all__ = ["RemoteStudy", "StudyProcess", "StudyProcessLost"]

class StudyProcessLost(HydraRunnerError):
    """The study process ended while the sweep still needed it."""

    exit_code = 1


class StudyProcess:
    """A study process forked ahead of its sweep (:class:`~hydra_runner.run_context.HeadStart` holds it)."""

    def __init__(self, proc: ForkedChild, inbox: Connection, outbox: Connection) -> None:
        self.proc, self.inbox, self.outbox = proc, inbox, outbox

    @classmethod
    def fork(cls) -> Optional[StudyProcess]:
        """Fork it now, if this process may (see :func:`hydra_runner._forked.can_fork`)."""
        return cls(*fork_child(_serve, os.getcwd())) if can_fork() else None

    def open(self, settings: StudySettings) -> Optional[RemoteStudy]:
        """The study of ``settings`` in this process; None if the settings cannot be sent.

        The study opens there while the sweep goes on; an error opening it (a bad sampler,
        an unreachable storage) is raised by the first call that follows.
        """
        try:
            request = pickle.dumps(("open", (settings.sendable(), list(sys.path)), {}))
        except Exception:  # a sampler object or a config that does not pickle: the study lives here
            self.abandon()
            return None
        remote = RemoteStudy(self.proc, self.inbox, self.outbox, sweep_dir=settings.sweep_dir)
        remote.send(request)
        return remote

    def abandon(self) -> None:
        """End a study process never given a study: it holds nothing, and may still be importing Optuna."""
        self.proc.kill()
        _stop(self.proc, self.inbox, self.outbox)


class RemoteStudy:
    """An :class:`OptunaStudy` in the study process, called as if it were here.

    Calls that return nothing (``tell``, ``enqueue``) do not wait for their answer: the
    next call reads it first, and raises the error it brings, if any. A sweep's next ask
    then costs one round trip, not two.
    """

    #: Methods whose answer is read by the next call.
    NOT_WAITED_FOR = frozenset({"tell", "enqueue"})

    #: The Optuna study object itself stays in the study process.
    study = None

    def __init__(self, proc: ForkedChild, inbox: Connection, outbox: Connection, *, sweep_dir: str) -> None:
        self.proc = proc
        self.inbox = inbox
        self.outbox = outbox
        self.sweep_dir = sweep_dir
        self.unanswered = 0  # calls sent whose answers are not read yet

    def __getattr__(self, name: str) -> Callable[..., Any]:
        from hydra_runner.sweepers.optuna_study import OptunaStudy

        if name not in OptunaStudy.METHODS:
            raise AttributeError(name)
        return functools.partial(self._call, name)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.send(pickle.dumps((name, args, kwargs)))
        if name in self.NOT_WAITED_FOR:
            return None
        while self.unanswered > 1:  # calls sent without waiting (the study's opening, tells) answer first
            self._answer()
        return self._answer()

    def send(self, request: bytes) -> None:
        """Send a pickled call without waiting for its answer."""
        try:
            self.outbox.send_bytes(request)
        except OSError:
            raise self._lost() from None
        self.unanswered += 1

    def _answer(self) -> Any:
        try:
            kind, value = self.inbox.recv()
        except (EOFError, OSError):
            raise self._lost() from None
        self.unanswered -= 1
        if kind == "error":  # the error, then its causes, unpickled without their links
            for error, cause in zip(value, value[1:]):
                error.__cause__ = cause
            raise value[0]
        return value

    def close(self) -> None:
        """End the study process (what the study changed there ends with it)."""
        _stop(self.proc, self.inbox, self.outbox)

    def _lost(self) -> StudyProcessLost:
        try:
            code: Optional[int] = self.proc.wait(timeout=1)  # its pipe closed as it exited
        except subprocess.TimeoutExpired:
            code = None
        how = "" if code is None else (f" (killed by {_signal_name(-code)})" if code < 0 else f" (exit code {code})")
        return StudyProcessLost(
            f"the process holding the Optuna study (pid {self.proc.pid}) ended{how}",
            fix=f"`hydra-runner resume {self.sweep_dir}` continues the study; finished trials are kept",
        )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _stop(proc: ForkedChild, inbox: Connection, outbox: Connection) -> None:
    outbox.close()  # the process ends when it reads the end of its input
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    inbox.close()


def _serve(reads: int, writes: int) -> None:
    """The study process: import Optuna, open the study it is sent, answer calls until the input ends."""
    inbox, outbox = helper_ends(reads, writes)
    _preload()
    from hydra_runner.sweepers.optuna_study import OptunaStudy

    study: Optional[OptunaStudy] = None
    warm_up_due = warmed_up = False
    while True:
        if warm_up_due and not warmed_up and not inbox.poll(_QUIET_BEFORE_WARM_UP):
            _warm_up_tpe()
            warmed_up = True
        try:
            name, args, kwargs = inbox.recv()
        except (EOFError, OSError):
            return
        try:
            if name == "open":
                settings, sys.path[:] = args  # the sweep's path: custom_search_space and samplers import from it
                study, result = OptunaStudy(settings), None
            else:
                assert study is not None and name in OptunaStudy.METHODS
                result = getattr(study, name)(*args, **kwargs)
                warm_up_due = warm_up_due or name == "ask"
        except Exception as e:
            outbox.send(("error", _sendable(e)))
            continue
        try:
            outbox.send(("ok", result))
        except Exception as e:  # a result that does not pickle
            outbox.send(("error", _sendable(e)))


def _preload() -> None:
    """Import Optuna, then what the study needs of Hydra and hydra-runner, and what Optuna imports on first use."""
    import numpy.random  # noqa: F401  (Optuna's samplers load it when the first one is made)
    import optuna  # noqa: F401
    from hydra.utils import instantiate  # noqa: F401

    from hydra_runner.sweepers import _study_file, optuna_study  # noqa: F401


#: Seconds without a call, after the first trial is asked, before TPE is warmed up: by
#: then the sweep has asked a trial for each of its slots and waits for one to end.
_QUIET_BEFORE_WARM_UP = 0.05


def _warm_up_tpe() -> None:
    """Sample a throwaway in-memory study with TPE, Optuna's default sampler.

    TPE's first sampling loads and builds what takes some 35 ms, which would fall on the
    sweep's first trial after its startup trials, while a slot waits. Here it is done while
    the first trials run, not during the sweep's start, when this process and the sweep's
    own share the cores with its workers.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the study is told nothing of this one
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(n_startup_trials=1, seed=0))
    for _ in range(3):
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_float("log", 1e-3, 1.0, log=True)
        trial.suggest_int("n", 0, 3)
        trial.suggest_categorical("c", ["a", "b"])
        study.tell(trial, trial.params["x"])


def _sendable(error: Optional[BaseException]) -> list[BaseException]:
    """``error`` and its causes, each as itself if it pickles, else as a RuntimeError saying what it was.

    Pickling keeps neither an exception's cause nor its traceback, so the causes go beside
    it, for the error messages that show them.
    """
    chain = []
    while error is not None and len(chain) < 10:
        try:
            pickle.loads(pickle.dumps(error))
            chain.append(error)
        except Exception:
            chain.append(RuntimeError(f"{type(error).__name__}: {error}"))
        error = error.__cause__
    return chain
