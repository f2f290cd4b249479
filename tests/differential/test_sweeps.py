"""Multirun with the basic sweeper: sweep syntax, ordering, dirs, failures."""

from __future__ import annotations

import dataclasses

from ._harness import CONFIG_ERROR, HYDRA_1_4, OK, TASK_ERROR, App, Case, check
from ._projects import tree

_RAISE_ON_X2 = App(
    body="""
    if cfg.x == 2:
        raise ValueError("boom at x=%s" % cfg.x)
    return cfg.x
    """
)


def _sweep(id: str, *overrides: str, files=None, **kw) -> Case:
    return Case(id, files if files is not None else tree(), overrides=list(overrides), multirun=True, **kw)


CASES = [
    _sweep("comma_list", "x=1,2,3"),
    _sweep("single_value_no_sweep", "x=5"),
    _sweep("glob_all_options", "db=glob(*)"),
    _sweep("glob_with_exclude", "db=glob(m*,exclude=mariadb)"),
    _sweep("glob_exclude_list", "db=glob(*,exclude=[sqlite,pg])"),
    _sweep("sort_values", "x=sort(3,1,2)"),
    _sweep("sort_reverse", "x=sort(3,1,2,reverse=true)"),
    _sweep("range_stop", "x=range(0,5)"),
    _sweep("range_step", "x=range(1,10,3)"),
    _sweep("range_single_arg", "x=range(3)"),
    _sweep("choice_values", "x=choice(a,b)"),
    _sweep("group_sweep", "db=mysql,pg"),
    _sweep("two_dimensional", "db=mysql,pg,sqlite", "x=1,2"),
    _sweep("three_dimensional_order", "x=3,1", "name=b,a", "db=pg,mysql"),
    _sweep("group_and_value_mixed", "db=mysql,pg", "db.port=1,2", "+tag=t"),
    _sweep("add_key_sweep", "+y=a,b"),
    _sweep("quoted_sweep_items", "x='a,b',c", "name='p q',r"),
    _sweep("list_values_sweep", "x=[1,2],[3,4]"),
    # Hydra 1.4 refuses it: a sweep's ~db.port is matched against the value None.
    _sweep("delete_in_sweep", "~db.port", "x=1,2", expect=CONFIG_ERROR if HYDRA_1_4 else OK),
    _sweep("mode_that_does_not_resolve", "hydra.mode=${oc.env:HYDRA_RUNNER_NO_SUCH_MODE}", "x=1,2",
           expect=TASK_ERROR),
    _sweep("experiment_group_sweep", "+experiment=fast", "x=7,8"),
    _sweep(
        "params_in_primary_config",
        files=tree(
            """\
            defaults:
              - db: mysql
              - _self_
            x: 1
            hydra:
              run:
                dir: out/run
              sweep:
                dir: out/sweep
                subdir: ${hydra.job.num}
              sweeper:
                params:
                  x: 1,2
                  db: mysql,pg
            """,
            pin=False,
        ),
    ),
    _sweep(
        "params_in_config_plus_cli",
        "x=9",
        "name=n1,n2",
        files=tree(
            """\
            defaults:
              - db: mysql
              - _self_
            x: 1
            name: demo
            hydra:
              sweep:
                dir: out/sweep
                subdir: ${hydra.job.num}
              sweeper:
                params:
                  x: 1,2
            """,
            pin=False,
        ),
    ),
    _sweep("subdir_override_dirname", "x=1,2", "db=mysql,pg", "hydra.sweep.subdir=${hydra.job.override_dirname}"),
    _sweep(
        "subdir_override_dirname_exclude",
        "seed=1,2",
        "x=a,b",
        "hydra.sweep.subdir=${hydra.job.override_dirname}_${hydra.job.num}",
        "hydra.job.config.override_dirname.exclude_keys=[seed]",
        files=tree("defaults:\n  - db: mysql\n  - _self_\nx: 1\nseed: 0\n"),
    ),
    _sweep("chdir_in_multirun", "x=1,2", "hydra.job.chdir=true"),
    _sweep("job_name_in_multirun", "x=1,2", "hydra.job.name=sweepy"),
    _sweep("timestamped_sweep_dir", "x=1,2", files=tree(pin=False)),
    _sweep("batch_size_one", "x=1,2,3", "hydra.sweeper.max_batch_size=1"),
    _sweep("task_raises_second_job", "x=1,2,3", app=_RAISE_ON_X2, expect=TASK_ERROR),
    _sweep(
        "task_raises_batch_size_one",
        "x=1,2,3",
        "hydra.sweeper.max_batch_size=1",
        app=_RAISE_ON_X2,
        expect=TASK_ERROR,
    ),
]


# The same sweeps on the process pool: its workers compose jobs from templates the parent
# sends. Not the one where Hydra stops at a failed batch: the pool isolates failures and runs
# the later batches too, by design.
CASES += [dataclasses.replace(case, id=f"{case.id}-pool", runner_flags=("-j", "2"))
          for case in list(CASES) if case.id != "task_raises_batch_size_one"]


def test_sweeps(case, project):
    check(case, project)
