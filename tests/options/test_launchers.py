"""Choosing a launcher from flags or keywords, and what each option accepts."""

from __future__ import annotations

import math

import pytest

from hydra_runner.errors import UsageError
from hydra_runner.options import (
    MlflowOptions,
    PoolOptions,
    RayOptions,
    choose_launcher,
    choose_trackers,
)


def test_no_launcher_flag_leaves_the_choice_to_the_config() -> None:
    assert choose_launcher({"jobs": None, "fail_fast": False, "forward_env": ()}) is None


def test_pool_flags_choose_the_pool_and_become_its_overrides() -> None:
    options = choose_launcher({"jobs": "4", "timeout": 5, "stream": True})
    assert isinstance(options, PoolOptions) and options.n_jobs == 4 and options.timeout == 5.0
    assert options.overrides() == ["hydra/launcher=runner_pool", "hydra.launcher.timeout=5.0",
                                   "hydra.launcher.n_jobs=4", "hydra.launcher.stream=true"]


def test_a_ray_address_chooses_ray_and_j_is_its_submission_limit() -> None:
    options = choose_launcher({"ray_address": "ray://head:10001", "jobs": "2", "forward_env": ("A", "B")})
    assert isinstance(options, RayOptions)
    assert (options.address, options.max_running, options.forward_env) == ("ray://head:10001", 2, ["A", "B"])
    assert "hydra.launcher.forward_env=['A','B']" in options.overrides()


@pytest.mark.parametrize("given, message", [
    ({"timeout": -5}, "--timeout -5: is not a time limit"),
    ({"timeout": math.nan}, "--timeout nan: is not a time limit"),
    ({"timeout": math.inf}, "--timeout inf: is not a time limit"),
    ({"retries": -1}, "--retries -1: cannot be negative"),
    ({"jobs": "0"}, "--jobs 0: is not a number of parallel jobs"),
    ({"launcher": "ray", "gpus": "0"}, "--gpus applies to --launcher pool, not to --launcher ray"),
    ({"forward_env": ("A",)}, "--forward-env applies to --launcher ray"),
    ({"launcher": "ray", "no_wait": True}, "--no-wait submits the jobs to a running Ray cluster"),
    ({"ray_address": "auto", "no_wait": True, "timeout": 3}, "--timeout need the sweep to wait"),
    ({"launcher": "slurmish"}, "no launcher 'slurmish'"),
])
def test_bad_launcher_options_are_usage_errors_with_a_fix(given: dict, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        choose_launcher(given)
    assert message in str(raised.value) and raised.value.fix


def test_a_bad_value_read_from_the_config_names_its_key() -> None:
    with pytest.raises(UsageError, match=r"hydra\.launcher\.retries -2: cannot be negative"):
        PoolOptions.from_config({"_target_": "x", "retries": -2})


def test_the_schema_has_the_target_and_every_field_with_its_default() -> None:
    from dataclasses import fields

    from omegaconf import OmegaConf

    node = OmegaConf.structured(PoolOptions.hydra_schema())
    assert node._target_ == PoolOptions.target
    assert [f.name for f in fields(PoolOptions.hydra_schema())][1:] == [f.name for f in PoolOptions.fields()]
    assert node.n_jobs == "auto" and node.retries == 0 and node.gpus is None


def test_tracker_settings_need_their_switch() -> None:
    [mlflow] = choose_trackers({"mlflow": True, "mlflow_experiment": "exp a"})
    assert isinstance(mlflow, MlflowOptions)
    assert mlflow.overrides() == ["++hydra.callbacks.mlflow._target_=hydra_runner.tracking.callback.MlflowCallback",
                                  "++hydra.callbacks.mlflow.experiment='exp a'"]
    with pytest.raises(UsageError, match="--mlflow-uri configure --mlflow"):
        choose_trackers({"mlflow_uri": "sqlite:///x.db"})


@pytest.mark.parametrize("n_jobs", ["0", "-3", "many", "1.5"])
def test_bad_job_counts(n_jobs: str) -> None:
    with pytest.raises(UsageError, match=f"--jobs {n_jobs}: is not a number of parallel jobs"):
        PoolOptions(n_jobs=n_jobs)
