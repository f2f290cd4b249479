"""Failures: both tools must fail, and hydra-runner must report Hydra's message."""

from __future__ import annotations

from ._harness import CONFIG_ERROR, ERROR, HYDRA_1_4, OK, TASK_ERROR, App, Case, check
from ._projects import tree


def _err(id: str, *overrides: str, files=None, expect: str = CONFIG_ERROR, **kw) -> Case:
    return Case(
        id,
        files if files is not None else tree(),
        overrides=list(overrides),
        expect=expect,
        **kw,
    )


CASES = [
    _err("unknown_group_option", "db=nope"),
    _err(
        "unknown_option_in_defaults_list",
        files=tree("defaults:\n  - db: nope\n  - _self_\nx: 1\n"),
    ),
    _err("missing_primary_config_flag", flags=["--config-name", "nope"]),
    _err("missing_primary_config_in_app", app=App(config_name="missing")),
    _err("missing_config_directory", app=App(config_path="no_such_dir")),
    _err("bad_syntax_unclosed_list", "x=[1,2"),
    _err("bad_syntax_unquoted_space_unicode", "name=héllo wörld"),
    _err("bad_syntax_missing_equals", "justakey"),
    _err("override_nonexistent_key", "nokey=1"),
    _err("override_nonexistent_nested_key", "db.nokey=1"),
    _err("delete_missing_key", "~nokey"),
    _err("delete_with_wrong_value", "~db.port=1"),
    _err("ambiguous_comma_in_run_mode", "x=1,2"),
    _err("plus_group_already_in_defaults", "+db=pg"),
    _err("force_add_group", "++site=remote"),
    _err("package_override_not_in_defaults", "db@backup=pg"),
    _err("group_deleted_then_used", "~db", "db.host=x"),
    _err("hydra_key_sweep_in_multirun", "hydra.job.name=a,b", multirun=True),
    _err("interval_with_basic_sweeper", "x=interval(0,1)", multirun=True),
    _err(
        "override_not_in_defaults_tree",
        files=tree("defaults:\n  - db: mysql\n  - override site: local\n  - _self_\nx: 1\n"),
    ),
    _err(
        "duplicate_default_entries",
        files=tree("defaults:\n  - db: mysql\n  - db: pg\n  - _self_\nx: 1\n"),
    ),
    _err(
        "yaml_syntax_error",
        "db=pg",
        files=tree(extra={"conf/db/pg.yaml": "host: [1, 2\nport: 1\n"}),
    ),
    _err("run_dir_bad_interpolation", "hydra.run.dir=out/${nope}", expect=ERROR),
    _err(
        "env_set_interpolates_task_config",
        "+hydra.job.env_set.DIFF_ENV_X=${x}",
        # Hydra 1.4 resolves env_set against the job's whole config.
        expect=OK if HYDRA_1_4 else ERROR,
    ),
    _err(
        "task_raises_in_run",
        app=App(body="raise RuntimeError('task exploded: %s' % cfg.x)"),
        expect=TASK_ERROR,
    ),
    _err("multirun_bad_option_second_job", "db=pg,nope", multirun=True),
    _err("multirun_bad_option_first_job", "db=nope,pg", multirun=True),
]


def test_errors(case, project):
    check(case, project)
