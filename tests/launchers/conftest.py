"""Fixtures shared by the launchers' tests: the local Slurm cluster."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Iterator

import pytest

from hydra_runner.testing.slurm import SlurmCluster, missing_daemons

_DEV = Path(__file__).resolve().parents[2] / "dev.py"


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """A real single-node Slurm for the session (tests using it share an xdist group: one cluster)."""
    if missing_daemons():
        # The project's setup installs them where it can (root with apt-get): the same step here.
        spec = importlib.util.spec_from_file_location("_dev", _DEV)
        assert spec is not None and spec.loader is not None
        dev = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(dev)
        dev.system_packages()
    missing = missing_daemons()
    if missing:
        pytest.skip(f"no local Slurm: {', '.join(missing)} missing and slurm-wlm/munge could not be installed "
                    "(python3 dev.py test installs them as root where apt-get exists)")
    cluster = SlurmCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()
