"""Helper processes forked from the CLI: own session, own pipes, none of the earlier children's."""

from __future__ import annotations

import sys

import pytest

from .conftest import Project

# Run as a script: a process forks helpers only while it has one thread (pytest's workers have more).
FORK_TWO = """
import os, sys
from multiprocessing.connection import Connection
from hydra_runner._forked import can_fork, fork_child

def serve(reads, writes):
    inbox, outbox = Connection(reads, writable=False), Connection(writes, readable=False)
    outbox.send((os.getpid(), os.getsid(0), os.getcwd(), os.environ.get("HELPER_NAME")))
    try:
        inbox.recv()
    except EOFError:  # every copy of the parent's end is closed
        outbox.send("eof")

assert can_fork()
os.mkdir("here")
first = fork_child(serve, "here", {"HELPER_NAME": "first"})
second = fork_child(serve, ".", {"HELPER_NAME": "second"})
for child, inbox, outbox in (first, second):
    pid, session, cwd, name = inbox.recv()
    print(pid == child.pid, session == child.pid, os.path.basename(cwd), name)
child, inbox, outbox = first
outbox.close()  # the second child, forked later, must not hold a copy of this end
print(inbox.poll(10) and inbox.recv(), child.wait(timeout=10))
second[2].close()
print(second[1].recv(), second[0].wait(timeout=10))
print(os.environ.get("HELPER_NAME"))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="helpers are forked on Linux only")
def test_forked_helpers_have_their_own_session_and_only_their_own_pipes(project: Project) -> None:
    project.write({"fork_two.py": FORK_TWO})
    r = project.python("fork_two.py")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "True True here first",
        f"True True {project.root.name} second",
        "eof 0",
        "eof 0",
        "None",
    ]
