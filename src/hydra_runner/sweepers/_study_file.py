"""The default storage of an Optuna sweep: a journal file in the sweep dir with a single writer."""

from __future__ import annotations

import json
import os
from typing import Any

from optuna.storages.journal import JournalFileBackend

__all__ = ["SweepStudyFile"]


class SweepStudyFile(JournalFileBackend):
    """Optuna's journal file, read as Optuna reads it, appended to without a lock file or fsync.

    Only the process that schedules a sweep writes its study, and a second sweep into a
    running sweep's dir is refused, so the lock file Optuna takes around every append
    guards nothing here. Each append is whole lines in one ``write`` to a file opened with
    ``O_APPEND``: once it returns, a killed runner has lost nothing. Skipping ``fsync`` only
    gives up surviving the machine itself going down, the same bargain as the sweep
    journal's SQLite (WAL, ``synchronous=NORMAL``). Any Optuna opens the file as a
    ``JournalFileBackend``.
    """

    def __init__(self, file_path: str) -> None:
        super().__init__(file_path)
        self.path = file_path

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
