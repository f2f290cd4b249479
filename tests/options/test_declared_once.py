"""A launcher option is one dataclass field: its flag, API keyword and Hydra config key follow from it."""

from __future__ import annotations

import yaml

from tests.conftest import Project

# What adding an option to the pool takes: one field on PoolOptions. The module rebinds the
# names the way an edit of options/launchers.py would leave them.
EXTRA_OPTION = """
    import dataclasses

    import hydra_runner.options.launchers as launchers
    from hydra_runner.options._base import check_count, option


    @dataclasses.dataclass
    class PoolOptions(launchers.PoolOptions):
        nice_level: int = option(0, help="Niceness of each worker process (an option made for a test).",
                                 metavar="N", check=check_count)


    launchers.PoolOptions = launchers.LAUNCHERS["pool"] = PoolOptions
    PoolConf = launchers.PoolConf = PoolOptions.hydra_schema()
    """

APP = """
    def task(cfg):
        return cfg.x
    """

CLI = "import extra_option, sys; from hydra_runner.cli import main; sys.argv[0] = 'hydra-runner'; main()"

API = """
    import extra_option
    from hydra_runner import hydra_multirun

    jobs = hydra_multirun({"x": 0}, lambda cfg: cfg.x, overrides=["x=1,2"], jobs=1, nice_level=3)
    print(sorted(j.return_value for j in jobs[0]))
    """


def _launcher_config(project: Project, sweep: str) -> dict:
    hydra_yaml = next((project.root / sweep).glob("*/.hydra/hydra.yaml"))
    return yaml.safe_load(hydra_yaml.read_text())["hydra"]["launcher"]


def test_one_new_field_is_a_flag_a_keyword_and_a_config_key(project: Project) -> None:
    project.write({"extra_option.py": EXTRA_OPTION, "app.py": APP, "api_sweep.py": API})

    help_text = project.python("-c", CLI, "multirun", "--help")
    assert help_text.code == 0, help_text.err
    assert "--nice-level N" in help_text.out and "made for a test" in help_text.out

    swept = project.python("-c", CLI, "multirun", "app:task", "+x=1,2", "-j", "1", "--nice-level", "2",
                           "hydra.sweep.dir=cli_sweep")
    assert swept.code == 0, swept.err
    launcher = _launcher_config(project, "cli_sweep")
    assert launcher["nice_level"] == 2 and launcher["_target_"].endswith("RunnerPoolLauncher")

    api = project.python("api_sweep.py")
    assert api.code == 0, api.err
    assert api.out.strip().splitlines()[-1] == "[1, 2]"
    hydra_yaml = next(project.root.glob("multirun/*/*/0/.hydra/hydra.yaml"))
    assert yaml.safe_load(hydra_yaml.read_text())["hydra"]["launcher"]["nice_level"] == 3

    # A plain @hydra.main app names it in the config group's node.
    configured = project.python("-c", CLI, "multirun", "app:task", "+x=1", "hydra/launcher=runner_pool",
                                "hydra.launcher.nice_level=4", "hydra.sweep.dir=config_sweep")
    assert configured.code == 0, configured.err
    assert _launcher_config(project, "config_sweep")["nice_level"] == 4

    # Its check guards every door.
    for args in (["--nice-level", "-1"], ["hydra/launcher=runner_pool", "hydra.launcher.nice_level=-1"]):
        bad = project.python("-c", CLI, "multirun", "app:task", "+x=1", *args)
        assert bad.code == 2, bad.err
        assert "-1: cannot be negative" in bad.err and "fix:" in bad.err and "Traceback" not in bad.err
