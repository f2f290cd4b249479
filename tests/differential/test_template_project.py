"""A project laid out as the popular Lightning+Hydra templates are (tests/template_project), against plain Hydra.

``configs/{data,model,callbacks,...}`` groups, ``optional local: default``, hydra-colorlog's
logging overrides, a root from ``${oc.env:PROJECT_ROOT}``, run and sweep dirs built from
``task_name``, the entry point in ``src/train.py`` with ``config_path="../configs"``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ._harness import CONFIG_ERROR, App, Case, check, normalise, run_case

PROJECT = Path(__file__).resolve().parents[1] / "template_project"


def project_files(**extra: str) -> dict[str, str]:
    """The project's configs (the harness writes its own recording src/train.py)."""
    files = {
        str(path.relative_to(PROJECT)): path.read_text()
        for path in sorted((PROJECT / "configs").rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    files.update(extra)
    return files


TRAIN = App(
    filename="src/train.py",
    config_path="../configs",
    config_name="train",
    version_base="1.3",
    preamble="""
    from pathlib import Path
    os.environ.setdefault("PROJECT_ROOT", str(Path(__file__).resolve().parents[1]))
    """,
    body="""
    lr = float(cfg.model.optimizer.lr)
    loss = abs(lr - 0.01) + int(cfg.data.batch_size) / 1000
    return {"val/loss": loss}.get(cfg.get("optimized_metric"), loss)
    """,
)

LOCAL = "configs/local/default.yaml"


def _case(id: str, *overrides: str, files=None, **kw) -> Case:
    return Case(id, files if files is not None else project_files(), overrides=list(overrides), app=TRAIN, **kw)


CASES = [
    _case("cfg_job", flags=["--cfg", "job"], compare_stdout=True),
    _case("cfg_job_experiment", "experiment=digits_wide", flags=["--cfg", "job"], compare_stdout=True),
    _case("cfg_hydra", "trainer=gpu", flags=["--cfg", "hydra"], compare_stdout=True),
    _case("cfg_all_debug", "debug=fast_run", flags=["--cfg", "all"], compare_stdout=True),
    _case("cfg_job_resolve_paths", flags=["--cfg", "job", "--package", "paths"], compare_stdout=True),
    _case("run_defaults"),
    _case("run_experiment", "experiment=digits_wide"),
    _case("run_debug_with_loggers", "debug=fast_run", "logger=many_loggers"),
    _case("run_overrides", "model=wide_net", "trainer.max_epochs=3", "tags=[a,b]", "seed=7"),
    _case("run_task_name", "task_name=finetune", "callbacks=none"),
    _case("run_optional_local_present",
          files=project_files(**{LOCAL: "# @package _global_\ntrainer:\n  devices: 2\ndata:\n  num_workers: 4\n"})),
    _case("run_missing_option", "model=no_such_net", expect=CONFIG_ERROR),
    _case("multirun_grid", "model=small_net,wide_net", "data.batch_size=32,64", multirun=True),
    _case("multirun_experiment", "experiment=digits_wide", "seed=1,2,3", multirun=True),
    _case("multirun_grid_pool", "model=small_net,wide_net", "data.batch_size=32,64", multirun=True,
          runner_flags=["-j", "2"]),
]


def test_template_project(case: Case, project) -> None:
    check(case, project)


@pytest.mark.parametrize("info, overrides", [
    ("defaults", []), ("config", ["experiment=digits_wide"]), ("defaults-tree", ["debug=fast_run"]),
    ("searchpath", []), ("all", ["logger=csv"]),
])
def test_info(info: str, overrides: list[str], project) -> None:
    """``--info``: Hydra's report, with hydra-runner's additions (its note on the config directory, hints)."""
    case = _case(f"info_{info}", *overrides, flags=["--info", info])
    ref, got = run_case(case, project)
    assert ref.rc == 0 and got.rc == 0, got.stderr
    expected = normalise(ref.stdout, ref.root).strip().splitlines()
    assert len(expected) > 3
    assert _without_runner_additions(normalise(got.stdout, got.root)) == expected


def _without_runner_additions(text: str) -> list[str]:
    lines = text.strip().splitlines()
    if lines and lines[0] == "Config directory":
        lines = lines[lines.index("") + 1:]
    return "\n".join(line for line in lines if not line.startswith("hint: ")).strip().splitlines()


def test_the_cases_cover_the_layout() -> None:
    # Every config group the layout names exists in the project the cases run.
    groups = {p.name for p in (PROJECT / "configs").iterdir() if p.is_dir()}
    assert {"data", "model", "callbacks", "logger", "trainer", "paths", "extras", "hydra", "experiment",
            "hparams_search", "debug", "local"} <= groups
    train = (PROJECT / "configs" / "train.yaml").read_text()
    assert "optional local: default" in train
    assert "colorlog" in (PROJECT / "configs" / "hydra" / "default.yaml").read_text()
    assert dataclasses.replace(TRAIN).config_path == "../configs"
