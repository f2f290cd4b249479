"""Every backend keeps the contract (:mod:`hydra_runner.testing.contract`): in-process, pool, embedded Ray."""

from __future__ import annotations

import pytest

from hydra_runner.testing import BACKENDS, Backend, BackendContract, backend_param


class TestContract(BackendContract):
    @pytest.fixture(params=[backend_param(backend) for backend in BACKENDS])
    def backend(self, request: pytest.FixtureRequest) -> Backend:
        return request.param
