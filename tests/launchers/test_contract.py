"""Every backend keeps the contract (:mod:`hydra_runner.testing.contract`): in-process, pool, embedded Ray, Slurm."""

from __future__ import annotations

import pytest

from hydra_runner.testing import (
    BACKENDS,
    SLURM,
    Backend,
    BackendContract,
    backend_param,
    with_env,
)


class TestContract(BackendContract):
    @pytest.fixture(params=[backend_param(backend) for backend in (*BACKENDS, SLURM)])
    def backend(self, request: pytest.FixtureRequest) -> Backend:
        if request.param is SLURM:  # the local cluster, started once for the session
            return with_env(SLURM, request.getfixturevalue("slurm_cluster").env)
        return request.param
