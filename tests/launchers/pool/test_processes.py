"""Workers started ahead of their pool: forked when that is safe, spawned otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# Starts two workers ahead (after a thread, on request), reports what the test inspects,
# then lets them go.
SCRIPT = textwrap.dedent("""
    import json, os, sys, threading, time
    from hydra_runner.launchers.pool._processes import start_ahead
    from hydra_runner.launchers.pool._slots import plan_slots
    from hydra_runner.run_context import RunContext

    if sys.argv[1] == "with-a-thread":
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    run = RunContext()
    run.head_start.workers.extend(start_ahead(plan_slots(2, gpus=())))
    started = list(run.head_start.workers)

    def pipes(pid):
        found = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("pipe:"):
                found.add(target)
        return found

    def own_pipes(process):
        return {f"pipe:[{os.fstat(c.fileno()).st_ino}]" for c in (process.inbox, process.outbox)}

    with open("/proc/self/cmdline", "rb") as f:
        own_cmdline = f.read().split(b"\\0")
    workers = []
    deadline = time.monotonic() + 30
    for process in started:
        others = set().union(*(own_pipes(p) for p in started if p is not process))
        # As it starts, the worker leaves the parent's session and closes what it inherited
        # of its siblings' pipes.
        while ((pipes(process.proc.pid) & others or os.getsid(process.proc.pid) != process.proc.pid)
               and time.monotonic() < deadline):
            time.sleep(0.02)
        with open(f"/proc/{process.proc.pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\\0")
        workers.append({
            "pid": process.proc.pid,
            "session": os.getsid(process.proc.pid),
            "forked": cmdline == own_cmdline,  # a spawned worker runs python -c with the worker's code
            "holds_own": sorted(own_pipes(process) & pipes(process.proc.pid)),
            "holds_siblings": sorted(pipes(process.proc.pid) & others),
        })
    run.close()  # the workers nobody took are stopped with the run
    print(json.dumps({"workers": workers, "left": [w["pid"] for w in workers if os.path.exists(f"/proc/{w['pid']}")]}))
""")


def _prestart(mode: str) -> dict:  # type: ignore[type-arg]
    proc = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_a_single_threaded_parent_forks_its_workers() -> None:
    seen = _prestart("alone")
    assert [w["forked"] for w in seen["workers"]] == [True, True]
    for worker in seen["workers"]:
        assert worker["session"] == worker["pid"]  # its own session, as a spawned worker
        assert len(worker["holds_own"]) == 2
        assert worker["holds_siblings"] == []  # no other worker's pipe: each sees EOF when its own closes
    assert seen["left"] == []


def test_a_parent_with_threads_spawns_its_workers() -> None:
    seen = _prestart("with-a-thread")
    assert [w["forked"] for w in seen["workers"]] == [False, False]
    assert all(w["session"] == w["pid"] for w in seen["workers"])
    assert seen["left"] == []
