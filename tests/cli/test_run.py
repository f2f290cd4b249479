"""The seed-000 walkthrough and the run/multirun commands, through real subprocesses."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Project


def test_help_lists_commands_with_examples(project: Project) -> None:
    r = project.cli("--help")
    assert r.code == 0
    assert "run" in r.out and "multirun" in r.out and "Examples:" in r.out


def test_unknown_command_is_not_guessed(project: Project) -> None:
    r = project.cli("mutlirun", "src.train")
    assert r.code == 2
    assert "no command 'mutlirun'" in r.err and "multirun" in r.err


def test_help_imports_no_heavy_package(project: Project) -> None:
    code = (
        "import sys\n"
        "from hydra_runner.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('optuna', 'mlflow', 'ray', 'matplotlib', 'pandas', 'hydra', 'rich') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    r = project.python("-c", code)
    assert "HEAVY []" in r.out, r.out + r.err


def test_seed000_run_with_module_path_and_root_conf(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "--config-name", "config", "--config-path", "conf")
    assert r.code == 0, r.err
    assert "optimizer=adam" in r.out and "lr=0.001" in r.out
    assert list((seed000.root / "outputs").glob("*/*/.hydra/config.yaml"))


def test_seed000_run_picks_other_experiment(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "--config-name", "config", "experiment=large")
    assert r.code == 0, r.err
    assert "optimizer=sgd" in r.out


def test_seed000_plus_on_existing_group_gives_the_fix(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "--config-name", "config", "+experiment=large")
    assert r.code == 2
    assert "already in the defaults list" in r.err
    assert "experiment=large" in r.err and "Traceback" not in r.err


def test_seed000_multirun_over_experiments(seed000: Project) -> None:
    r = seed000.cli("multirun", "src.train", "experiment=base,large")
    assert r.code == 0, r.err
    assert r.out.count("optimizer=") == 2
    job_dirs = sorted((seed000.root / "multirun").glob("*/*/[0-9]*"))
    assert [d.name for d in job_dirs] == ["0", "1"]
    assert (job_dirs[1] / ".hydra" / "overrides.yaml").read_text() == "- experiment=large\n"


def test_file_target_and_run_dash_m(seed000: Project) -> None:
    r = seed000.cli("run", "-m", "src/train.py", "experiment=base,large")
    assert r.code == 0, r.err
    assert r.out.count("optimizer=") == 2


def test_info_shows_which_config_dir_was_used(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "--info", "searchpath")
    assert r.code == 0, r.err
    assert "found relative to the project root" in r.out
    assert str(seed000.root / "conf") in r.out


def test_cfg_job_prints_composed_config(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "--cfg", "job", "experiment.lr=0.5")
    assert r.code == 0, r.err
    assert "lr: 0.5" in r.out and "trainer:" in r.out and "hydra:" not in r.out
    assert not (seed000.root / "outputs").exists()


def test_dry_run_counts_jobs_and_runs_nothing(seed000: Project) -> None:
    r = seed000.cli("multirun", "src.train", "experiment=base,large", "trainer.max_epochs=range(0,10)", "--dry-run")
    assert r.code == 0, r.err
    assert "20 jobs would run" in r.out
    assert "#0 : experiment=base trainer.max_epochs=0" in r.out
    assert "#19 : experiment=large trainer.max_epochs=9" in r.out
    assert "more" in r.out
    assert not (seed000.root / "multirun").exists()


def test_dry_run_expands_glob_over_a_config_group(seed000: Project) -> None:
    seed000.write({"conf/experiment/huge.yaml": "optimizer: sgd\nlr: 0.1\nbatch_size: 1024\n"})
    r = seed000.cli("multirun", "src.train", "--config-name", "config", "experiment=glob(*,exclude=base)",
                    "trainer.max_epochs=1,2", "--dry-run")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "4 jobs would run:",
        "  #0 : experiment=huge trainer.max_epochs=1",
        "  #1 : experiment=huge trainer.max_epochs=2",
        "  #2 : experiment=large trainer.max_epochs=1",
        "  #3 : experiment=large trainer.max_epochs=2",
    ]
    assert not (seed000.root / "multirun").exists()


def test_task_exception_shows_traceback_and_exits_1(project: Project) -> None:
    project.write({"app.py": """
        import hydra
        @hydra.main(version_base=None, config_path=None)
        def main(cfg):
            raise RuntimeError("boom in task")
        """})
    r = project.cli("run", "app.py")
    assert r.code == 1
    assert "RuntimeError: boom in task" in r.err and "Traceback" in r.err
    assert "hydra/_internal" not in r.err


def test_bad_override_exit_2_without_traceback_unless_verbose(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "experiment.lr=[1,2")
    assert r.code == 2
    assert "cannot parse override 'experiment.lr=[1,2'" in r.err and "Traceback" not in r.err
    r = seed000.cli("run", "src.train", "experiment.lr=[1,2", "--verbose")
    assert r.code == 2 and "Traceback" in r.err


def test_unquoted_list_in_run_says_how_to_quote(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "experiment.lr=1,2")
    assert r.code == 2
    assert "experiment.lr=[1,2]" in r.err and "multirun" in r.err


def test_unknown_group_option_did_you_mean(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "experiment=lareg")
    assert r.code == 2
    assert "no option 'lareg'" in r.err and "did you mean 'large'" in r.err


def test_missing_module_is_a_clear_error(seed000: Project) -> None:
    r = seed000.cli("run", "src.trian")
    assert r.code == 2
    assert "no module named 'src.trian'" in r.err and "Traceback" not in r.err


def test_module_without_task(project: Project) -> None:
    project.write({"lib.py": "X = 1\n"})
    r = project.cli("run", "lib")
    assert r.code == 2
    assert "has no task function" in r.err


def test_plain_function_target_with_config_path(project: Project) -> None:
    project.write({
        "conf/train.yaml": "epochs: 3\n",
        "tasks.py": """
            from omegaconf import DictConfig
            def fit(cfg: DictConfig):
                print("epochs", cfg.epochs)
            """,
    })
    r = project.cli("run", "tasks:fit", "--config-path", "conf", "--config-name", "train", "epochs=7")
    assert r.code == 0, r.err
    assert "epochs 7" in r.out


def test_missing_mandatory_value_names_the_key(project: Project) -> None:
    project.write({"app.py": """
        from dataclasses import dataclass
        import hydra
        from hydra.core.config_store import ConfigStore
        from omegaconf import MISSING

        @dataclass
        class Cfg:
            lr: float = MISSING

        ConfigStore.instance().store(name="cfg", node=Cfg)

        @hydra.main(version_base=None, config_name="cfg")
        def main(cfg):
            print(cfg.lr)
        """})
    r = project.cli("run", "app.py")
    assert r.code == 2
    assert "'lr' has no value" in r.err and "lr=" in r.err


def test_project_venv_without_hydra_runner_is_explained(project: Project) -> None:
    venv_bin = project.root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").symlink_to(sys.executable)
    project.write({"app.py": """
        import hydra
        @hydra.main(version_base=None, config_path=None)
        def main(cfg):
            print("ran")
        """})
    r = project.cli("run", "app.py")
    assert r.code == 0, r.err
    assert "has no hydra-runner" in r.err and "ran" in r.out
    assert "has no hydra-runner" not in project.cli("run", "app.py", "--no-venv").err


def test_joblib_launcher_plugin_works_inside_hydra_runner(seed000: Project) -> None:
    r = seed000.cli("multirun", "src.train", "experiment=base,large", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert r.code == 0, r.err
    assert "Joblib" in r.out or "joblib" in r.err.lower() or r.out.count("optimizer=") == 2
    assert sorted(p.name for p in Path(seed000.root / "multirun").glob("*/*/[0-9]*")) == ["0", "1"]
    assert re.search(r"lr=0\.01", (next(Path(seed000.root / "multirun").glob("*/*/1")) / ".hydra/config.yaml").read_text().replace(": ", "="))


def test_task_module_is_imported_not_run_as_main(project: Project) -> None:
    # Documented difference from `python app.py`: the module keeps its own name, so the
    # `if __name__ == "__main__":` block does not run and loggers are named after the module.
    project.write({"app.py": """
        import hydra
        @hydra.main(version_base=None, config_path=None)
        def main(cfg):
            print("module name", __name__)
        if __name__ == "__main__":
            print("main block ran")
            main()
        """})
    r = project.cli("run", "app.py")
    assert r.code == 0, r.err
    assert "module name app" in r.out and "main block ran" not in r.out


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_a_sweep_in_a_git_repository_still_forks_its_workers(project: Project) -> None:
    # The CLI asks git about the code in a background thread; started before the workers,
    # that thread would make the parent spawn them instead (fork is only safe with one thread).
    project.write({
        "app.py": """
            import os

            def task(cfg):
                with open(f"/proc/{os.getppid()}/cmdline", "rb") as parent, open("/proc/self/cmdline", "rb") as own:
                    forked = parent.read() == own.read()
                with open("forked.log", "a") as f:
                    f.write(f"{forked}\\n")
            """,
        "conf/config.yaml": "x: 0\n",
    })
    subprocess.run(["git", "init", "-q"], cwd=project.root, check=True)
    r = project.cli("multirun", "app:task", "--config-path", "conf", "--config-name", "config", "x=1,2", "-j", "2")
    assert r.code == 0, r.err
    assert (project.root / "forked.log").read_text().split() == ["True", "True"]
