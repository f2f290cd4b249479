"""Ray: jobs as Ray tasks of a waiting sweep (``tasks``), or as Ray jobs left on a cluster (``jobs``, ``--no-wait``).

Ray itself is imported only when one of them runs.
"""

from __future__ import annotations

__all__: list[str] = []
