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
        outbox.send(("event", kind, payload))
        reply = inbox.recv()
        if reply[0] == "error":
            raise RuntimeError(f"the sweep could not handle the job's {kind!r}: {reply[1]}")
        return reply[1]

    try:
        worker = JobRunner(inbox.recv(), on_started=lambda num, path: outbox.send(("started", num, path)),
                           ask_parent=ask_parent)
    except BaseException as e:
        outbox.send(("init_failed", JobOutcome.failed(-1, e).traceback, missing_from_main(e)))
        return
    outbox.send(("ready", os.getpid()))
    worker.prepare()
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            outbox.close()
            os._exit(0)  # nothing left that the OS does not clean up; interpreter teardown is slow
        if message[0] == "template":
            worker.adopt_template(message[1], prepare=True)
            continue
        _, num, overrides, template, parsed = message
        if template is not None:
            worker.adopt_template(template)
        if parsed is not None:
            worker.take_parsed(parsed)
        outcome = worker.run(num, overrides)
        try:
            outbox.send(("done", outcome))
        except Exception as e:  # the return value or exception does not pickle
            outbox.send(("done", outcome.value_not_sendable(e)))
        worker.reset()
