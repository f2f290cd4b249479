"""Runs many hydra-runner command lines, each in a process of its own, forked from one that imported it once.

Reads ``[{"args": [...], "cwd": "..."}, ...]`` as JSON on stdin and writes, for each, the exit
code and what the command printed. A forked child is the CLI in a fresh process (its own
module state, cwd, file descriptors and exit), without paying the interpreter's and Hydra's
start-up for each of hundreds of inputs.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time

import hydra_runner.api  # noqa: F401  (imported once, before the forks)
import hydra_runner.cli

LIMIT = 120.0  # a command that has not ended by then is reported as hung


def snapshot(root: str) -> dict[str, tuple[int, int]]:
    """Every file and dir under ``root``, with a file's size and modification time."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            # A dir's own times change when a file is made and removed again inside it (SQLite's
            # -wal/-shm files, a temp file): only new dirs, and files made or changed, count.
            found[os.path.relpath(path, root)] = (0, 0) if os.path.isdir(path) else (st.st_size, st.st_mtime_ns)
    return found


def run_one(args: list[str], cwd: str) -> dict[str, object]:
    """The command's exit code and output, and what it wrote under ``cwd``."""
    before = snapshot(cwd)
    result = _run_forked(args, cwd)
    after = snapshot(cwd)
    result["written"] = sorted(path for path, stat in after.items() if before.get(path) != stat)
    return result


def _run_forked(args: list[str], cwd: str) -> dict[str, object]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                os.chdir(cwd)
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                try:
                    hydra_runner.cli.main(args)
                    code = 0
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else 1
            finally:
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:
                        pass
                os._exit(code)
        deadline = time.monotonic() + LIMIT
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = -1
                break
            time.sleep(0.005)
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status) if status != -1 else "hung"
        return {"code": code, "out": out.read().decode(errors="replace"), "err": err.read().decode(errors="replace")}


def main() -> None:
    cases = json.load(sys.stdin)
    results = [run_one(case["args"], case["cwd"]) for case in cases]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
