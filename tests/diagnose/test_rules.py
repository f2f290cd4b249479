"""Composition failures of an experiment laid out the usual way, each reported with its fix.

The layout: ``experiments/001-baseline/`` holds ``config.yaml`` (defaults ``_self_``,
``exp: default``, ``env: default``), ``train.py`` (dataclasses ``ExpConfig`` / ``EnvConfig``
stored in the ConfigStore as ``exp/default`` and ``env/default``) and ``exp/001.yaml``
(``defaults: [default@_here_]`` plus the values it changes).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ..conftest import Project

EXPERIMENT = "experiments/001-baseline"

TRAIN_PY = """
    from dataclasses import dataclass, field

    import hydra
    from hydra.core.config_store import ConfigStore
    from omegaconf import MISSING


    @dataclass
    class ExpConfig:
        name: str = "default"
        seed: int = 42
        learning_rate: float = 2e-5
        fold: list = field(default_factory=lambda: [0, 1, 2, 3, 4])
        data_path: str = DATA_PATH


    @dataclass
    class EnvConfig:
        output_dir: str = "output/001-baseline"


    cs = ConfigStore.instance()
    cs.store(name=EXP_NAME, group="exp", node=ExpConfig)
    cs.store(name="default", group="env", node=EnvConfig)


    @hydra.main(version_base=None, config_path=CONFIG_PATH, config_name="config")
    def main(cfg) -> None:
        print(f"name={cfg.exp.name} lr={cfg.exp.learning_rate} fold={list(cfg.exp.fold)} data={cfg.exp.data_path}")


    if __name__ == "__main__":
        main()
    """

CONFIG_YAML = """
    defaults:
    - _self_
    - exp: default
    - env: default
    - override hydra/job_logging: none

    hydra:
      output_subdir: null
      job:
        chdir: false
      run:
        dir: .
    """

EXP_001 = """
    defaults:
      - default@_here_

    name: "001-lr-sweep"
    learning_rate: 5.0e-5
    """


def _experiment(
    project: Project, *, data_path: str = '"data/train.csv"', exp_name: str = "default", config_path: str = "."
) -> Project:
    train = (TRAIN_PY.replace("DATA_PATH", data_path).replace("EXP_NAME", repr(exp_name))
             .replace("CONFIG_PATH", repr(config_path)))
    return project.write({
        f"{EXPERIMENT}/train.py": train,
        f"{EXPERIMENT}/config.yaml": CONFIG_YAML,
        f"{EXPERIMENT}/exp/001.yaml": EXP_001,
    })


def _run(project: Project, *args: str) -> tuple[int, str]:
    r = project.cli("run", f"{EXPERIMENT}/train.py", *args)
    assert "Traceback" not in r.err
    return r.code, r.err


@pytest.fixture
def experiment(project: Project) -> Project:
    return _experiment(project)


def test_the_layout_runs(experiment: Project) -> None:
    r = experiment.cli("run", f"{EXPERIMENT}/train.py", "exp=001")
    assert r.code == 0, r.err
    assert "name=001-lr-sweep lr=5e-05 fold=[0, 1, 2, 3, 4] data=data/train.csv" in r.out


def test_unknown_experiment_lists_the_options_and_where_it_looked(experiment: Project) -> None:
    code, err = _run(experiment, "exp=009")
    exp_dir = experiment.root.resolve() / EXPERIMENT / "exp"
    assert code == 2
    assert "config group 'exp' has no option '009'" in err and "options in 'exp': 001, default" in err
    # Installed search path plugins (hydra-colorlog's) come between the project's dir and the ConfigStore.
    assert f"looked in: pkg://hydra.conf/exp, {exp_dir}/, " in err and "/exp, the ConfigStore" in err
    assert "fix: did you mean '001'? write exp=001" in err


def test_config_path_pointing_elsewhere_says_so(project: Project) -> None:
    _experiment(project, config_path="conf")
    project.write({f"{EXPERIMENT}/conf/config.yaml": CONFIG_YAML})  # exp/ stays beside train.py
    code, err = _run(project, "exp=001")
    conf = project.root.resolve() / EXPERIMENT / "conf"
    assert code == 2 and "config group 'exp' has no option '001'" in err and "options in 'exp': default" in err
    assert f"add exp/001.yaml to {conf}; {conf} has no exp/ directory: is --config-path" in err


def test_missing_config_directory_is_named(project: Project) -> None:
    _experiment(project, config_path="configs")
    code, err = _run(project)
    assert code == 2 and f"the config directory {project.root.resolve() / EXPERIMENT / 'configs'} does not exist" in err
    assert "fix: pass --config-path DIR" in err


def test_here_default_missing_from_the_config_store_says_how_to_store_it(project: Project) -> None:
    _experiment(project, exp_name="base")
    code, err = _run(project, "exp=001")
    assert code == 2
    assert "'exp/001' lists 'exp/default' in its defaults list, but there is no config 'exp/default'" in err
    assert "options in 'exp': 001, base" in err
    assert 'fix: register it with ConfigStore.instance().store(group="exp", name="default", node=...)' in err


def test_missing_mandatory_value_names_the_dataclass_field(project: Project) -> None:
    _experiment(project, data_path="MISSING")
    code, err = _run(project, "exp=001")
    assert code == 2
    assert "'exp.data_path' has no value ('???'): ExpConfig.data_path has no default" in err
    assert f"fix: give ExpConfig.data_path a default in {EXPERIMENT}/train.py or pass exp.data_path=..." in err
    r = project.cli("run", f"{EXPERIMENT}/train.py", "exp=001", "exp.data_path=d.csv")
    assert r.code == 0 and "data=d.csv" in r.out


def test_a_value_made_missing_elsewhere_is_not_blamed_on_the_dataclass(experiment: Project) -> None:
    code, err = _run(experiment, "exp.data_path=???")
    assert code == 2 and "'exp.data_path' has no value ('???') (a field of ExpConfig)" in err
    assert "has no default" not in err and "exp.data_path=..." in err


def test_list_split_by_the_shell_says_to_quote_it(experiment: Project) -> None:
    # What bash passes for: exp.fold=[0, 1, 2]
    code, err = _run(experiment, "exp.fold=[0,", "1,", "2]")
    assert code == 2
    assert "the shell split 'exp.fold=[0, 1, 2]' at its spaces" in err
    assert 'fix: quote it: "exp.fold=[0, 1, 2]"' in err
    r = experiment.cli("run", f"{EXPERIMENT}/train.py", "exp.fold=[0, 1, 2]")
    assert r.code == 0 and "fold=[0, 1, 2]" in r.out


def test_comma_list_in_a_single_run_says_to_bracket_and_quote_it(experiment: Project) -> None:
    code, err = _run(experiment, "exp.fold=0,1,2")
    assert code == 2 and '"exp.fold=[0,1,2]"' in err


def test_compose_after_a_notebooks_own_initialize(experiment: Project, in_tmp_cwd: Path) -> None:
    import sys

    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from hydra_runner import compose

    conf = experiment.root / EXPERIMENT
    sys.path.insert(0, str(conf))
    import train  # noqa: F401  (stores exp/default and env/default)

    initialize_config_dir(version_base=None, config_dir=str(conf))  # never cleared, as in a notebook
    try:
        first = compose(str(conf), "config", ["exp=001"])
        second = compose(str(conf), "config", ["exp=001", "exp.seed=7"])
        assert (first.exp.name, first.exp.seed, second.exp.seed) == ("001-lr-sweep", 42, 7)
        assert GlobalHydra.instance().is_initialized()  # the notebook's own Hydra is left as it was
        assert hydra_compose("config", ["exp=001"]).exp.learning_rate == 5e-05
    finally:
        GlobalHydra.instance().clear()
        sys.modules.pop("train", None)


def test_values_lost_to_self_placement_are_pointed_out_by_info_defaults(experiment: Project) -> None:
    config = f"{EXPERIMENT}/config.yaml"
    experiment.write({config: textwrap.dedent(CONFIG_YAML) + "exp:\n  learning_rate: 1.0e-3\n  seed: 42\n"})
    r = experiment.cli("run", f"{EXPERIMENT}/train.py", "--info", "defaults")
    assert r.code == 0, r.err
    assert "hint: values set in the primary config 'config' are replaced: exp.learning_rate (by exp/default)." in r.out
    assert "_self_ is entry 1 of its defaults list [_self_, exp: default, env: default]" in r.out
    assert "move _self_ to the end of its defaults list" in r.out and "exp.seed" not in r.out
    assert "exp.learning_rate (by exp/001)" in experiment.cli("run", f"{EXPERIMENT}/train.py", "-i", "defaults",
                                                               "exp=001").out
    # The hint is right: with _self_ last the value of config.yaml is the one composed.
    moved = (experiment.root / config).read_text().replace("- _self_\n", "").replace("- env: default\n",
                                                                                      "- env: default\n- _self_\n")
    experiment.write({config: moved})
    r = experiment.cli("run", f"{EXPERIMENT}/train.py", "--info", "defaults")
    assert r.code == 0 and "hint:" not in r.out
    assert "learning_rate: 0.001" in experiment.cli("run", f"{EXPERIMENT}/train.py", "--cfg", "job").out


def test_the_layout_itself_gets_no_hint(experiment: Project) -> None:
    r = experiment.cli("run", f"{EXPERIMENT}/train.py", "--info", "defaults", "exp=001")
    assert r.code == 0 and "Defaults List" in r.out and "hint:" not in r.out



# -- keys and values the dataclasses do not take ------------------------------------------------

FIELDS = "ExpConfig fields: name, seed, learning_rate, fold, data_path"


def test_a_misspelled_override_of_a_dataclass_names_the_closest_field(experiment: Project) -> None:
    r = experiment.cli("run", EXPERIMENT, "exp=001", "exp.learnig_rate=1e-5")
    assert r.code == 2 and "Traceback" not in r.err
    assert r.err.startswith("error: override 'exp.learnig_rate=1e-5': ExpConfig has no field 'learnig_rate'\n")
    assert f"fix: did you mean exp.learning_rate? {FIELDS}\n" in r.err
    assert "+exp.learnig_rate" not in r.err  # adding the key would leave the misspelling unread
    r = experiment.cli("run", EXPERIMENT, "exp=001", "exp.learning_rate=1e-5")
    assert r.code == 0 and "lr=1e-05" in r.out


def test_a_dict_merged_into_a_dataclass_names_the_field_it_lacks(experiment: Project) -> None:
    code, err = _run(experiment, "exp={lr: 1.0e-5}")
    assert code == 2 and "error: override 'exp={lr: 1.0e-5}': ExpConfig has no field 'lr'" in err
    assert f"fix: did you mean exp.learning_rate? {FIELDS}" in err


def test_an_override_no_field_is_close_to_says_where_fields_are_declared(experiment: Project) -> None:
    code, err = _run(experiment, "exp.debug=true")
    assert code == 2 and "ExpConfig has no field 'debug'" in err
    assert f"fix: {FIELDS}; a new setting needs a field in ExpConfig ({EXPERIMENT}/train.py)" in err
    assert "+exp.debug" not in err


def test_hydras_own_dataclasses_get_the_closest_field_too(experiment: Project) -> None:
    code, err = _run(experiment, "hydra.job.chdirr=true")
    assert code == 2 and "JobConf has no field 'chdirr'" in err and "fix: did you mean hydra.job.chdir? " in err


PLAIN_NODE = "task_env:\n  app:\n    resources: {side: 1}\n"


def _with_plain_node(experiment: Project) -> Project:
    return experiment.write({f"{EXPERIMENT}/config.yaml": textwrap.dedent(CONFIG_YAML) + PLAIN_NODE})


def _resources(experiment: Project, *overrides: str) -> str:
    r = experiment.cli("run", EXPERIMENT, "--cfg", "job", "--package", "task_env.app.resources", *overrides)
    assert r.code == 0, r.err
    return r.out


def test_a_new_key_of_a_plain_yaml_node_is_added_with_plus(experiment: Project) -> None:
    _with_plain_node(experiment)
    code, err = _run(experiment, "task_env.app.resources.gpu=1")
    assert code == 2 and "error: key 'task_env.app.resources.gpu' is not in the config\n" in err
    assert "fix: to add it, write +task_env.app.resources.gpu=1\n" in err
    assert _resources(experiment, "+task_env.app.resources.gpu=1").endswith("side: 1\ngpu: 1\n")


def test_a_dict_merged_into_a_plain_node_names_the_key_it_lacks(experiment: Project) -> None:
    _with_plain_node(experiment)
    code, err = _run(experiment, "task_env.app.resources={gpu: 1}")
    assert code == 2
    assert ("error: key 'task_env.app.resources.gpu' is not in the config: 'task_env.app.resources={gpu: 1}' "
            "merges a dict into 'task_env.app.resources', which has no key 'gpu'\n") in err
    assert "Key 'gpu' is not in struct" in err
    assert ('fix: to add it, write +task_env.app.resources.gpu=1, or "++task_env.app.resources={gpu: 1}" '
            "(adds every key of the dict that 'task_env.app.resources' lacks)") in err
    # Both fixes work, and keep what the node had.
    assert _resources(experiment, "+task_env.app.resources.gpu=1").endswith("side: 1\ngpu: 1\n")
    assert _resources(experiment, "++task_env.app.resources={gpu: 1}").endswith("side: 1\ngpu: 1\n")


def test_a_key_in_an_exp_file_that_the_dataclass_lacks_names_the_file_and_the_field(experiment: Project) -> None:
    experiment.write({f"{EXPERIMENT}/exp/009.yaml": "defaults:\n  - default@_here_\n\nlr: 0.1\n"})
    r = experiment.cli("run", EXPERIMENT, "exp=009")
    assert r.code == 2 and "Traceback" not in r.err
    assert r.err.startswith("error: exp/009.yaml sets lr, which ExpConfig has no field for\n")
    assert f"fix: did you mean learning_rate? correct lr in {EXPERIMENT}/exp/009.yaml; {FIELDS}\n" in r.err
    assert r.err.count("Key 'lr' not in 'ExpConfig'") == 1  # Hydra's message repeats its cause's
    experiment.write({f"{EXPERIMENT}/exp/009.yaml": "defaults:\n  - default@_here_\n\nlearning_rate: 0.1\n"})
    r = experiment.cli("run", EXPERIMENT, "exp=009")
    assert r.code == 0 and "lr=0.1" in r.out


def test_a_wrong_type_in_an_exp_file_names_the_declared_type(experiment: Project) -> None:
    experiment.write({f"{EXPERIMENT}/exp/010.yaml": "defaults:\n  - default@_here_\n\nseed: abc\n"})
    code, err = _run(experiment, "exp=010")
    assert code == 2
    assert err.startswith("error: exp/010.yaml sets seed: abc, but ExpConfig.seed is int\n")
    assert f"fix: give seed a value of type int in {EXPERIMENT}/exp/010.yaml\n" in err
    assert err.count("Value 'abc' of type 'str' could not be converted to Integer") == 1
    assert "$VALUE" not in err


def test_a_key_in_the_primary_config_is_named_with_its_package(experiment: Project) -> None:
    experiment.write({f"{EXPERIMENT}/late.yaml": "defaults:\n  - exp: default\n  - _self_\n\nexp:\n  sed: 7\n"})
    code, err = _run(experiment, "-cn", "late")
    assert code == 2 and "error: late.yaml sets exp.sed, which ExpConfig has no field for" in err
    assert f"fix: did you mean exp.seed? correct exp.sed in {EXPERIMENT}/late.yaml; " in err


def test_a_wrong_type_override_shows_omegaconfs_message_filled_in(experiment: Project) -> None:
    code, err = _run(experiment, "exp.seed=abc")
    assert code == 2 and "$VALUE" not in err and "$FULL_KEY" not in err
    assert err.count("Value 'abc' of type 'str' could not be converted to Integer") == 2  # the error line and detail


# -- the seed project: conf/config.yaml chooses `experiment: base` in its defaults list ---------


def test_adding_the_group_option_already_chosen_says_to_drop_the_plus(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "--config-name", "config", "+experiment=base")
    assert r.code == 2 and "Traceback" not in r.err
    assert r.err.startswith("error: experiment appears more than once in the final defaults list: "
                            "'+experiment=base' adds config group 'experiment' again\n")
    assert "fix: experiment=base without '+' selects it; it is already the default, so it can also be left out" in r.err
    # The fix works.
    r = seed000.cli("run", "src.train", "--config-name", "config", "experiment=base")
    assert r.code == 0 and "optimizer=adam" in r.out
    assert "Traceback" in seed000.cli("run", "src.train", "+experiment=base", "--verbose").err


def test_adding_a_swept_group_already_in_the_defaults_list_says_to_sweep_without_plus(seed000: Project) -> None:
    r = seed000.cli("multirun", "src.train", "+experiment=base,large")
    assert r.code == 2 and "Traceback" not in r.err
    assert "'+experiment=base,large' adds config group 'experiment' again" in r.err
    assert "fix: drop the '+' to sweep the group's options: experiment=base,large" in r.err


def test_a_group_listed_twice_in_the_defaults_list_says_to_list_it_once(seed000: Project) -> None:
    seed000.write({"conf/twice.yaml": "defaults:\n  - experiment: base\n  - experiment: base\n"})
    r = seed000.cli("run", "src.train", "-cn", "twice")
    assert r.code == 2 and "Traceback" not in r.err
    assert "error: experiment appears more than once in the final defaults list\n" in r.err
    assert "fix: choose config group 'experiment' once: remove one of its entries from the defaults lists" in r.err


@pytest.mark.parametrize(
    "override", ["experiment.lr=interval(0.001,0.1)", "experiment.lr=tag(log,interval(0.001,0.1))"]
)
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_an_interval_in_a_grid_says_to_search_it_or_list_values(
    seed000: Project, override: str, dry_run: list[str]
) -> None:
    r = seed000.cli("multirun", "src.train", override, *dry_run)
    assert r.code == 2 and "Traceback" not in r.err
    assert f"error: '{override}' is an interval, which a grid sweep (BasicSweeper) cannot enumerate" in r.err
    assert ("fix: to sample it, add a search sweeper: hydra/sweeper=random hydra.sweeper.max_iter=N, or "
            "hydra/sweeper=optuna hydra.sweeper.n_trials=N; for a grid, list the values: "
            "experiment.lr=range(a,b,step) or experiment.lr=a,b,c") in r.err


def test_an_interval_in_a_single_run_says_it_needs_a_search(seed000: Project) -> None:
    r = seed000.cli("run", "src.train", "experiment.lr=interval(0.001,0.1)")
    assert r.code == 2 and "Traceback" not in r.err
    assert "fix: run it with hydra-runner multirun and a search sweeper (hydra/sweeper=random" in r.err


def test_an_interval_is_searched_as_the_fix_says(seed000: Project) -> None:
    r = seed000.cli("multirun", "src.train", "experiment.lr=interval(0.001,0.1)",
                    "hydra/sweeper=random", "hydra.sweeper.max_iter=2")
    assert "is an interval" not in r.err
    assert r.out.count("optimizer=adam") == 2


def test_choice_and_tags_are_a_grid(seed000: Project) -> None:
    r = seed000.cli("multirun", "src.train", "experiment.lr=choice(0.1,0.2)",
                    "experiment.batch_size=tag(b,choice(8,16))", "--dry-run")
    assert r.code == 0, r.err
    assert "4 jobs would run" in r.out
