"""Store requests sent in the background: in order, without holding up the caller, waited for at the end."""

from __future__ import annotations

import os
import threading
import time

from hydra_runner.tracking._background import InOrder


def test_calls_run_in_the_order_they_were_made_and_wait_returns_after_the_last() -> None:
    sender = InOrder("test-sender")
    done: list[int] = []
    for i in range(50):
        # The first call is the slowest: a sender that ran calls side by side would finish it last.
        sender.call(lambda i=i: (time.sleep(0.2 if i == 0 else 0.001), done.append(i)))
    sender.wait()
    assert done == list(range(50))
    sender.close()


def test_a_call_does_not_hold_up_the_caller() -> None:
    sender = InOrder("test-sender")
    release = threading.Event()
    finished = threading.Event()
    sender.call(lambda: (release.wait(10), finished.set()))
    assert not finished.is_set()  # call() returned while the call itself still waits
    release.set()
    sender.wait()
    assert finished.is_set()
    sender.close()


def test_in_a_forked_process_calls_run_at_once() -> None:
    sender = InOrder("test-sender")
    reads, writes = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child has no sender thread: its calls must not wait for one
        try:
            ran: list[str] = []
            sender.call(lambda: ran.append("ran"))
            sender.wait()
            os.write(writes, b"ok" if ran == ["ran"] else b"no")
        finally:
            os._exit(0)
    os.close(writes)
    try:
        assert os.read(reads, 2) == b"ok"
    finally:
        os.close(reads)
        os.waitpid(pid, 0)
        sender.close()


def test_close_runs_what_was_called_then_ends_the_thread() -> None:
    sender = InOrder("test-sender-closed")
    done: list[int] = []
    sender.call(lambda: (time.sleep(0.1), done.append(1)))
    sender.close()
    assert done == [1]
    assert "test-sender-closed" not in {thread.name for thread in threading.enumerate()}
