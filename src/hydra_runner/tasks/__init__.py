"""Tasks: the function a job calls, found from a TARGET and carried to other processes.

    locate     TARGET (``src.train``, ``app.py``, ``mod:fn``, a folder) -> TaskSpec
    call       calling a task with its config parameter bound (plain ``fn(cfg)`` and keywords)
    ref        TaskRef: how a task reaches a worker process and is loaded there
"""

from __future__ import annotations

__all__: list[str] = []
