"""The backends the contract suite runs over, each described by what selects it and what it supports.

A backend is chosen on the command line only (``-j 2``, ``--launcher ray``), so a new one
(a Slurm cluster, your own launcher) joins the suite as one more :class:`Backend`. What a
backend cannot do is declared here, with the behaviour it shows instead; the suite asserts
that behaviour, so a limit is never a silently skipped case.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

import pytest

__all__ = ["BACKENDS", "Backend", "IN_PROCESS", "POOL", "RAY", "SLURM", "backend_param", "with_env"]


@dataclass(frozen=True)
class Backend:
    #: Short name, used as the test id.
    name: str
    #: What follows ``hydra-runner multirun TARGET OVERRIDES`` to select the backend.
    flags: tuple[str, ...] = ()
    #: How many jobs run at once; None when the flags leave it to the machine (``-j auto``).
    slots: Optional[int] = None
    #: Jobs run in processes of their own: one that ends its process (``os._exit``, SIGKILL)
    #: is recorded crashed and the sweep goes on. When False, such a job takes the sweep's
    #: process with it: the CLI exits with the job's code, the job stays ``running`` in the
    #: journal and the later jobs ``pending`` (``resume`` runs them).
    isolates_crashes: bool = True
    #: ``--timeout``, ``--retries`` and ``--fail-fast`` act on this backend's jobs. When
    #: False (a job in the sweep's own process cannot be stopped or lost), those flags run
    #: the sweep in worker processes instead, where they hold.
    limits_jobs: bool = True
    #: Jobs' ``report()`` and ``log_metrics()`` reach the sweep while they run (pruning, live
    #: metrics). When False (a batch scheduler's jobs have no channel back), a pruner never
    #: stops a trial and a tracker records each job's end (status, value) but no step metrics.
    relays_events: bool = True
    #: Seconds the slowest case may take on this backend (it may start a cluster).
    cli_timeout: float = 120
    #: Variables the CLI needs to reach the backend (a cluster's address or config file).
    env: Mapping[str, str] = field(default_factory=dict)
    #: pytest marks for the backend's cases (an xdist group for backends that must run alone).
    marks: tuple[Any, ...] = field(default=())


IN_PROCESS = Backend("in-process", slots=1, isolates_crashes=False, limits_jobs=False)
POOL = Backend("pool", ("-j", "2"), slots=2)
# One embedded Ray at a time: each case starts its own, and two would share this machine's cores.
RAY = Backend("ray", ("--launcher", "ray", "-j", "2"), slots=2, cli_timeout=300,
              marks=(pytest.mark.xdist_group("ray"),))

BACKENDS = (IN_PROCESS, POOL, RAY)

#: A Slurm cluster: its jobs wait in Slurm's queue (an array with -j as its %N throttle) and
#: have no channel back to the sweep. ``env`` must name the cluster's ``SLURM_CONF`` (where the
#: login node's own configuration is not the one): see :func:`with_env`.
SLURM = Backend("slurm", ("--launcher", "slurm", "-j", "2"), slots=2, relays_events=False, cli_timeout=300,
                marks=(pytest.mark.xdist_group("slurm"),))


def with_env(backend: Backend, env: Mapping[str, str]) -> Backend:
    """``backend`` run with ``env`` added to the CLI's environment (a cluster started by a fixture)."""
    return replace(backend, env={**backend.env, **env})


def backend_param(backend: Backend) -> Any:
    """``backend`` as a ``pytest.param`` with its id and marks, for ``@pytest.fixture(params=...)``."""
    return pytest.param(backend, id=backend.name, marks=backend.marks)
