"""``hydra_runner.doctor``: each check against this machine's real environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hydra_runner.doctor import (
    Check,
    gpu_check,
    mlflow_check,
    plugin_checks,
    ray_check,
    requirement_checks,
    run_checks,
    venv_check,
)

from .conftest import Project


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_plugins_found_by_hydra_include_hydra_runners() -> None:
    checks = _by_name(plugin_checks())
    launchers = {p["class"].rsplit(".", 1)[-1]: p for p in checks["launchers"].facts["plugins"]}
    sweepers = {p["class"].rsplit(".", 1)[-1]: p for p in checks["sweepers"].facts["plugins"]}
    assert launchers["RunnerPoolLauncher"]["options"][0] == "runner_pool"
    assert launchers["RunnerRayLauncher"]["options"][0] == "runner_ray"
    assert sweepers["RunnerOptunaSweeper"]["options"] == ["runner_optuna", "optuna"]
    assert sweepers["RunnerRandomSweeper"]["options"] == ["runner_random", "random"]
    assert all(p["hydra_runner"] for p in (launchers["RunnerPoolLauncher"], sweepers["RunnerOptunaSweeper"]))
    assert not launchers["BasicLauncher"]["hydra_runner"] and launchers["BasicLauncher"]["options"] == ["basic"]
    assert "runner_pool*" in checks["launchers"].value and "basic*" not in checks["launchers"].value
    assert checks["completion"].facts["plugins"] and checks["plugin scan"].ok


def test_required_versions_come_from_the_installed_metadata() -> None:
    checks = _by_name(requirement_checks())
    assert checks["hydra-core"].ok and checks["omegaconf"].ok
    # Hydra 1.4 (and OmegaConf 2.4) included: hydra-runner supports both.
    assert checks["hydra-core"].facts["required"] == "<1.5,>=1.3.2"
    assert checks["omegaconf"].facts["required"] == "<2.5,>=2.3"


@pytest.mark.parametrize(
    ("visible", "gpus"),
    [("0,1", ["0", "1"]), ("", []), ("2,-1,3", ["2"]), ("GPU-5a1b", ["GPU-5a1b"])],
)
def test_gpus_are_read_from_cuda_visible_devices_as_the_pool_reads_them(visible: str, gpus: list[str]) -> None:
    check = gpu_check({"CUDA_VISIBLE_DEVICES": visible})
    assert check.ok and check.facts["gpus"] == gpus and check.facts["source"] == "CUDA_VISIBLE_DEVICES"
    assert check.value.startswith(f"{len(gpus)} (" if gpus else "none")


def test_a_gpu_list_the_pool_would_refuse_is_a_problem() -> None:
    check = gpu_check({"CUDA_VISIBLE_DEVICES": "0,0"})
    assert not check.ok and "listed twice" in (check.problem or "") and "CUDA_VISIBLE_DEVICES=0,1" in (check.fix or "")


def test_mlflow_default_is_a_sqlite_store_at_the_project_root(tmp_path: Path) -> None:
    (tmp_path / ".hydra-runner").mkdir()
    (tmp_path / ".hydra-runner" / "sweeps").write_text("")
    (tmp_path / "sub").mkdir()
    check = mlflow_check({}, tmp_path / "sub")
    assert check.ok and check.facts["tracking_uri"] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert check.facts["from_environment"] is False and "writable" in check.value


def test_mlflow_store_in_a_missing_directory_is_a_problem(tmp_path: Path) -> None:
    check = mlflow_check({"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'gone' / 'x.db'}"}, tmp_path)
    assert not check.ok and f"{tmp_path / 'gone'} does not exist" in (check.problem or "")
    assert f"mkdir -p {tmp_path / 'gone'}" in (check.fix or "")
    assert mlflow_check({"MLFLOW_TRACKING_URI": f"file://{tmp_path}"}, tmp_path).ok


def test_ray_address_is_reported_without_starting_ray() -> None:
    check = ray_check({"RAY_ADDRESS": "10.0.0.5:6379"})
    assert check.ok and check.facts["ray_address"] == "10.0.0.5:6379" and "--ray-address 10.0.0.5:6379" in check.value
    assert "local Ray" in ray_check({}).value


def _fake_venv(root: Path, *, with_hydra_runner: bool) -> Path:
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    if with_hydra_runner:
        (root / ".venv" / "lib" / "python3.11" / "site-packages" / "hydra_runner-0.1.0.dist-info").mkdir(parents=True)
    return root / ".venv"


def test_a_project_venv_without_hydra_runner_is_a_problem(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, with_hydra_runner=False)
    check = venv_check(tmp_path)
    assert not check.ok and f"{venv} has no hydra-runner" in (check.problem or "")
    assert f"{venv / 'bin' / 'python'} -m pip install hydra-runner" in (check.fix or "")


def test_a_project_venv_with_hydra_runner_is_where_tasks_run(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path, with_hydra_runner=True)
    check = venv_check(tmp_path)
    assert check.ok and check.facts["venv"] == str(venv) and "switch to" in check.value
    (tmp_path / "sub").mkdir()
    below = venv_check(tmp_path / "sub")
    assert below.ok and below.facts["venv"] is None and below.facts["venv_above"] == str(venv)


def test_checks_import_no_optional_package(project: Project) -> None:
    optional = ("optuna", "mlflow", "ray", "matplotlib", "pandas")
    r = project.python("-c", "import sys; from hydra_runner.doctor import run_checks; "
                             "print([c.name for c in run_checks()], sorted(set(sys.modules) & set(%r)))" % (optional,))
    assert r.out.rstrip().endswith("] []"), r.out + r.err
    assert all(name in r.out for name in ("'python'", "'hydra-core'", "'gpus'", "'mlflow'", "'ray'", "'[optuna]'"))


def test_every_check_says_how_to_fix_its_problem() -> None:
    env = {**os.environ, "MLFLOW_TRACKING_URI": "sqlite:////nonexistent-dir/x.db", "CUDA_VISIBLE_DEVICES": "1,1"}
    problems = [check for check in run_checks(env) if not check.ok]
    assert {check.name for check in problems} >= {"mlflow", "gpus"}
    assert all(check.fix for check in problems)


def test_slurm_is_reported_from_its_commands(tmp_path: Path) -> None:
    from hydra_runner.doctor import slurm_check

    nowhere = slurm_check({"PATH": str(tmp_path)})
    assert nowhere.ok and "not a Slurm login node" in nowhere.value and nowhere.facts["sbatch"] is None
    (tmp_path / "sbatch").write_text("#!/bin/sh\n")
    (tmp_path / "sbatch").chmod(0o755)
    (tmp_path / "sinfo").write_text("#!/bin/sh\nexit 1\n")
    (tmp_path / "sinfo").chmod(0o755)
    (tmp_path / "slurm.conf").write_text("")
    silent = slurm_check({"PATH": str(tmp_path), "SLURM_CONF": str(tmp_path / "slurm.conf")})
    assert not silent.ok and silent.fix and "scontrol ping" in silent.fix
    unconfigured = slurm_check({"PATH": str(tmp_path), "SLURM_CONF": str(tmp_path / "missing.conf")})
    assert unconfigured.ok and "no cluster configured" in unconfigured.value
