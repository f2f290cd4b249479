"""A pool worker: a warm process that runs one job at a time and comes back clean.

Started once per slot by :mod:`._pool` (``python -c`` calling :func:`main` with the pipe
ends), it imports the task once, then loops: receive a job, compose it with its own
caching loader, run it with ``run_composed_job`` while its output goes to the job's
``console.log``, send the outcome back, and restore everything the job may have changed
(environment, cwd, ``sys.argv``/``sys.path``, logging, Hydra's singletons, resolvers).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from hydra_runner._forked import helper_ends
from hydra_runner.jobs.outcome import JobOutcome
from hydra_runner.jobs.runner import (
    Bootstrap,
    JobRunner,
    apply_bootstrap,
    missing_from_main,
    warm_up_parsers,
)
from hydra_runner.launchers.pool._messages import (
    Answer,
    Done,
    Event,
    Ready,
    RunJob,
    SetupFailed,
    Started,
    Stop,
    Template,
)

__all__ = ["CONSOLE_LOG", "JobRunner", "apply_bootstrap", "main", "missing_from_main"]

CONSOLE_LOG = "console.log"


def _warm_up() -> None:
    """What every job needs, done while the parent is still composing the sweep.

    Not the task: it is imported after the bootstrap sets sys.path (and the devices are set).
    """
    from hydra_runner import _compat

    warm_up_parsers()
    _compat.plugins()  # already made if this worker was forked: the parent scanned first


def main() -> None:
    """A spawned worker: ``python -c`` with the two pipe ends as arguments."""
    serve(int(sys.argv[1]), int(sys.argv[2]))


def serve(inbox_fd: int, outbox_fd: int) -> None:
    """Boot from the parent's bootstrap and setup, then run jobs until told to stop."""
    inbox, outbox = helper_ends(inbox_fd, outbox_fd)
    _warm_up()
    try:
        boot: Bootstrap = inbox.recv()
    except (EOFError, OSError):  # started ahead for a pool that never came
        os._exit(0)
    apply_bootstrap(boot)
    from hydra_runner import _compat

    _compat.plugins()  # scanned again if the project, now on sys.path, has plugins of its own

    def ask_parent(kind: str, payload: Any) -> Any:
        # The job waits for the answer; the parent answers between its other work.
        outbox.send(Event(kind, payload))
        reply: Answer = inbox.recv()
        if reply.error is not None:
            raise RuntimeError(f"the sweep could not handle the job's {kind!r}: {reply.error}")
        return reply.value

    try:
        worker = JobRunner(inbox.recv(), on_started=lambda num, path: outbox.send(Started(num, path)),
                           ask_parent=ask_parent)
    except BaseException as e:
        outbox.send(SetupFailed(JobOutcome.failed(-1, e).traceback or "", missing_from_main(e)))
        return
    outbox.send(Ready(os.getpid()))
    worker.prepare()
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return
        if isinstance(message, Stop):
            outbox.close()
            os._exit(0)  # nothing left that the OS does not clean up; interpreter teardown is slow
        if isinstance(message, Template):
            worker.adopt_template(message.data, prepare=True)
            continue
        job: RunJob = message
        if job.template is not None:
            worker.adopt_template(job.template)
        if job.parsed is not None:
            worker.take_parsed(job.parsed)
        outcome = worker.run(job.num, list(job.overrides))
        try:
            outbox.send(Done(outcome))
        except Exception as e:  # the return value or exception does not pickle
            outbox.send(Done(outcome.value_not_sendable(e)))
        worker.reset()
