"""Configs written for hydra-optuna-sweeper / hydra-ray-launcher, and plugin errors, through the real CLI."""

from __future__ import annotations

import logging
import math
import shutil
from enum import Enum
from pathlib import Path

import pytest
import yaml

from hydra_runner import _compat
from hydra_runner.errors import ConfigError
from hydra_runner.plugin_compat import (
    OPTUNA_PLUGIN_TARGET,
    RAY_PLUGIN_TARGET,
    takeover_for,
)
from tests.conftest import Project

TEMPLATE = Path(__file__).resolve().parent / "template_project"
TAKEOVER_LINE = "hydra-runner: hydra.sweeper names hydra-optuna-sweeper, which is not installed"
SEARCH = "hparams_search=digits_optuna"
PARAMS = {"model.optimizer.lr", "data.batch_size", "model.net.hidden_size"}


@pytest.fixture
def template(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    shutil.copytree(TEMPLATE, root, ignore=shutil.ignore_patterns("logs", "__pycache__", ".hydra-runner"))
    return Project(root)


def _loss(params: dict) -> float:
    """tests/template_project/src/train.py's stand-in metric."""
    lr, batch, hidden = params["model.optimizer.lr"], params["data.batch_size"], params["model.net.hidden_size"]
    return (math.log10(lr) + 2.0) ** 2 + abs(batch - 64) / 256 + abs(hidden - 64) / 512


def _results(project: Project) -> tuple[dict, list[Path]]:
    found = list((project.root / "logs" / "train" / "multiruns").glob("*/optimization_results.yaml"))
    assert len(found) == 1, found
    sweep_dir = found[0].parent
    jobs = sorted(p.parent.parent for p in sweep_dir.glob("*/.hydra/config.yaml"))
    return yaml.safe_load(found[0].read_text()), jobs


def _check_search(project: Project, stderr: str) -> None:
    assert stderr.count(TAKEOVER_LINE) == 1, stderr
    results, jobs = _results(project)
    assert results["name"] == "optuna"
    assert set(results["best_params"]) == PARAMS
    assert results["best_value"] == pytest.approx(_loss(results["best_params"]))
    assert len(jobs) == 8  # n_trials in the search config
    for job in jobs:
        overrides = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text())
        assert SEARCH in overrides and {o.split("=")[0] for o in overrides} >= PARAMS


def test_plugin_search_config_runs_as_multirun_on_the_pool(template: Project) -> None:
    r = template.cli("multirun", "src/train.py", SEARCH, "-j", "2")
    assert r.code == 0, r.err
    _check_search(template, r.err)


def test_plugin_search_config_with_run(template: Project) -> None:
    """The search config sets hydra.mode: MULTIRUN itself: Hydra 1.3 sweeps; Hydra 1.4 refuses a mode set so."""
    r = template.cli("run", "src/train.py", SEARCH)
    if _compat.HYDRA_1_4:
        assert r.code == 2, r.err
        assert "hydra.mode" in r.err and "fix: run it as a multirun" in r.err
        assert "Traceback" not in r.err
        r = template.cli("run", "src/train.py", SEARCH, "hydra.mode=MULTIRUN")
    assert r.code == 0, r.err
    _check_search(template, r.err)


def test_same_seed_same_best_trial_in_process_and_on_the_pool(template: Project) -> None:
    r = template.cli("multirun", "src/train.py", SEARCH, "hydra.sweeper.n_jobs=1")
    assert r.code == 0, r.err
    first, _ = _results(template)
    shutil.rmtree(template.root / "logs")
    r = template.cli("multirun", "src/train.py", SEARCH, "hydra.sweeper.n_jobs=1", "-j", "2")
    assert r.code == 0, r.err
    second, _ = _results(template)
    assert first == second


# -- the option mapping ----------------------------------------------------------------------


class Direction(Enum):  # as hydra-optuna-sweeper's config declares it
    minimize = 1
    maximize = 2


def test_optuna_settings_are_mapped_ignored_or_refused(caplog: pytest.LogCaptureFixture) -> None:
    takeover = takeover_for(OPTUNA_PLUGIN_TARGET)
    assert takeover is not None  # hydra-optuna-sweeper is not installed here
    mapped = takeover.options("hydra.sweeper", {
        "sampler": {"_target_": "optuna.samplers.TPESampler", "seed": 1}, "pruner": None,
        "direction": Direction.maximize, "storage": None, "study_name": "s", "n_trials": 3, "n_jobs": 2,
        "params": {"x": "interval(0, 1)"}, "custom_search_space": "mod.fn", "max_failure_rate": 0.5,
    })
    assert mapped["direction"] == "maximize" and mapped["n_jobs"] == 2 and mapped["study_name"] == "s"
    assert "max_failure_rate" not in mapped
    assert "hydra.sweeper.max_failure_rate is ignored" in caplog.text
    with pytest.raises(ConfigError, match=r"hydra.sweeper.search_space"):
        takeover.options("hydra.sweeper", {"search_space": {"x": {"type": "float"}}})
    with pytest.raises(ConfigError, match=r"hydra.sweeper.n_trialz is not a setting"):
        takeover.options("hydra.sweeper", {"n_trialz": 3})


def test_ray_settings_are_mapped_ignored_or_refused(caplog: pytest.LogCaptureFixture) -> None:
    takeover = takeover_for(RAY_PLUGIN_TARGET)
    assert takeover is not None
    with caplog.at_level(logging.WARNING):
        mapped = takeover.options("hydra.launcher", {"ray": {
            "init": {"address": "ray://head:10001", "num_cpus": 4},
            "remote": {"num_cpus": 2, "num_gpus": 1, "memory": "4Gi", "resources": {"tpu": 1}, "max_retries": 3,
                       "max_calls": 1},
        }})
    assert mapped == {"address": "ray://head:10001", "retries": 3,
                      "default_resources": {"cpu": 2, "gpu": 1, "memory": "4Gi", "tpu": 1}}
    assert "hydra.launcher.ray.init.num_cpus is ignored" in caplog.text
    assert "hydra.launcher.ray.remote.max_calls is ignored" in caplog.text
    with pytest.raises(ConfigError, match=r"hydra.launcher.rey is not a setting"):
        takeover.options("hydra.launcher", {"rey": {}})


def test_ray_default_resources_apply_to_jobs_without_a_task_env() -> None:
    from omegaconf import OmegaConf

    from hydra_runner.launchers.ray.resources import task_options

    defaults = {"cpu": 2, "gpu": 1}
    assert task_options(OmegaConf.create({}), "t", "task_env", defaults)["num_gpus"] == 1.0
    own = OmegaConf.create({"task_env": {"resources": {"cpu": 1}}})
    assert "num_gpus" not in task_options(own, "t", "task_env", defaults)


def test_ray_launcher_config_runs_on_the_ray_backend(project: Project) -> None:
    project.write({
        "conf/config.yaml": """
            defaults:
              - override hydra/launcher: ray
              - _self_
            x: 1
            hydra:
              sweep:
                dir: out
              launcher:
                ray:
                  init:
                    num_cpus: 2
                  remote:
                    num_cpus: 1
            """,
        "app.py": """
            import hydra

            @hydra.main(config_path="conf", config_name="config", version_base="1.3")
            def main(cfg):
                print("x is", cfg.x)
                return cfg.x
            """,
    })
    r = project.cli("multirun", "app.py", "x=1,2")
    assert r.code == 0, r.err
    assert r.err.count("hydra.launcher names hydra-ray-launcher, which is not installed") == 1
    assert "hydra.launcher.ray.init.num_cpus is ignored" in r.err + r.out
    assert sorted(p.parent.name for p in (project.root / "out").glob("*/.hydra")) == ["0", "1"]


# -- readable errors -------------------------------------------------------------------------

APP = """
    import hydra

    @hydra.main(config_path="conf", config_name="config", version_base="1.3")
    def main(cfg):
        return cfg.x
    """


@pytest.mark.parametrize("config, key, words", [
    ("hydra:\n  sweeper:\n    _target_: hydra_plugins.hydra_nosuch_sweeper.core.NoSweeper\n",
     "hydra.sweeper._target_", ["not installed", "pip install hydra-nosuch-sweeper", "hydra/sweeper=NAME"]),
    ("hydra:\n  launcher:\n    _target_: hydra_plugins.nosuch.NoLauncher\n",
     "hydra.launcher._target_", ["not installed", "hydra/launcher=NAME"]),
    ("defaults:\n  - override hydra/launcher: mine\n  - _self_\n", "hydra.launcher has no _target_",
     ["set hydra.launcher._target_", "or select one with hydra/launcher=NAME"]),
    ("hydra:\n  callbacks:\n    mine:\n      _target_: no_such_pkg.callbacks.Mine\n",
     "hydra.callbacks.mine._target_", ["correct or remove hydra.callbacks.mine"]),
    ("hydra:\n  callbacks:\n    mine:\n      _target_: hydra.experimental.callbacks.LogJobReturnCallback\n"
     "      no_such_param: 1\n", "hydra.callbacks.mine", ["could not be built", "check the settings"]),
])
@pytest.mark.parametrize("command", ["run", "multirun"])
def test_plugin_errors_name_the_key_and_the_fix(project: Project, command: str, config: str, key: str,
                                                words: list[str]) -> None:
    # A launcher config of the project's own, written without its _target_.
    project.write({"conf/config.yaml": config + "x: 1\n", "conf/hydra/launcher/mine.yaml": "n_jobs: 2\n", "app.py": APP})
    r = project.cli(command, "app.py", "x=1,2" if command == "multirun" else "x=1")
    if command == "run" and "callbacks" not in config:
        assert r.code == 0, r.err  # a single run builds no sweeper or launcher
        return
    assert r.code == 2, r.err
    assert key in r.err and "fix:" in r.err and "Traceback" not in r.err
    for word in words:
        assert word in r.err
    verbose = project.cli(command, "app.py", "x=1,2" if command == "multirun" else "x=1", "--verbose")
    assert verbose.code == 2 and "Traceback" in verbose.err


def test_taken_over_setting_refused_names_the_key(project: Project) -> None:
    project.write({
        "conf/config.yaml": f"""
            defaults:
              - override hydra/sweeper: optuna
              - _self_
            x: 1
            hydra:
              sweeper:
                _target_: {OPTUNA_PLUGIN_TARGET}
                search_space:
                  x: {{type: float, low: 0, high: 1}}
            """,
        "app.py": APP,
    })
    r = project.cli("multirun", "app.py")
    assert r.code == 2, r.err
    assert "hydra.sweeper.search_space" in r.err and "fix:" in r.err and "Traceback" not in r.err


def test_an_installed_plugin_is_used_not_taken_over(project: Project) -> None:
    # A stand-in for an installed hydra-optuna-sweeper, at the module path its configs name.
    project.write({
        "site/hydra_plugins/hydra_optuna_sweeper/__init__.py": "",
        "site/hydra_plugins/hydra_optuna_sweeper/optuna_sweeper.py": """
            from hydra.plugins.sweeper import Sweeper

            class OptunaSweeper(Sweeper):
                def __init__(self, **options):
                    self.options = options

                def setup(self, *, hydra_context, task_function, config):
                    pass

                def sweep(self, arguments):
                    print("the installed plugin swept", sorted(self.options), arguments)
                    return []
            """,
        "conf/config.yaml": f"x: 1\nhydra:\n  sweeper:\n    _target_: {OPTUNA_PLUGIN_TARGET}\n",
        "app.py": APP,
    })
    r = project.cli("multirun", "app.py", "x=1,2", env={"PYTHONPATH": str(project.root / "site")})
    assert r.code == 0, r.err
    assert "the installed plugin swept ['max_batch_size', 'params'] ['x=1,2']" in r.out
    assert "hydra-runner:" not in r.err
