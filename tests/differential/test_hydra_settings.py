"""Hydra's own settings and CLI flags: job/run/sweep settings, version_base,
config selection flags, logging, --cfg printing."""

from __future__ import annotations

from ._harness import ERROR, HYDRA_1_4, OK, OMIT_VERSION_BASE, App, Case, check
from ._projects import tree

_EXTRA_CONF = {"extra_conf/site/mars.yaml": "url: https://mars.example\nworkers: 2\n"}

_OTHER = tree(
    extra={
        "conf/other.yaml": (
            "defaults:\n  - db: pg\n  - _self_\nother: true\nx: 10\n"
            "hydra:\n  run:\n    dir: out/other\n"
        )
    }
)


_CHDIR_WARNING = "Future Hydra versions will no longer change working directory at job runtime"

CASES = [
    Case("chdir_true_run", tree(), overrides=["hydra.job.chdir=true"]),
    Case("chdir_false_run", tree(), overrides=["hydra.job.chdir=false"]),
    Case("job_name_custom", tree(), overrides=["hydra.job.name=custom"]),
    Case(
        "job_env_set_cli_and_config",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            x: 1
            hydra:
              run:
                dir: out/run
              job:
                env_set:
                  DIFF_ENV_FROM_CONFIG: cfg-${hydra.job.name}
            """,
            pin=False,
        ),
        overrides=["+hydra.job.env_set.DIFF_ENV_FROM_CLI=hello", "x=3"],
    ),
    Case(
        "override_dirname_exclude_keys",
        tree("defaults:\n  - db: mysql\n  - _self_\nx: 1\nseed: 0\n"),
        overrides=[
            "seed=3",
            "x=5",
            "db=pg",
            "hydra.job.config.override_dirname.exclude_keys=[seed]",
            "hydra.job.config.override_dirname.kv_sep=_",
            "hydra.job.config.override_dirname.item_sep=__",
        ],
    ),
    Case("version_base_none", tree(), app=App(version_base=None)),
    Case(
        "version_base_1_1",
        tree(),
        app=App(version_base="1.1"),
        # Hydra 1.4 refuses a version_base below 1.3 where @hydra.main is applied.
        **({"expect": ERROR} if HYDRA_1_4 else {"shared_stderr": [_CHDIR_WARNING]}),
    ),
    Case("version_base_1_3", tree(), app=App(version_base="1.3")),
    Case(
        "version_base_omitted",
        tree(),
        app=App(version_base=OMIT_VERSION_BASE),
        # Hydra 1.4's default is its own behaviour: no warning, no change of working directory.
        shared_stderr=[] if HYDRA_1_4 else ["The version_base parameter is not specified", _CHDIR_WARNING],
    ),
    Case(
        "version_base_1_1_multirun",
        tree(),
        app=App(version_base="1.1"),
        multirun=True,
        overrides=["x=1,2"],
        expect=ERROR if HYDRA_1_4 else OK,
    ),
    Case("config_name_flag", _OTHER, flags=["--config-name", "other"]),
    Case("config_name_short_flag", _OTHER, flags=["-cn", "other"], overrides=["db=sqlite"]),
    Case(
        "config_path_flag",
        {
            **tree(),
            "conf2/config.yaml": "defaults:\n  - db: one\n  - _self_\nwhere: conf2\n"
            "hydra:\n  run:\n    dir: out/run2\n",
            "conf2/db/one.yaml": "id: 1\n",
        },
        flags=["--config-path", "conf2"],
    ),
    Case(
        "config_dir_extra_group",
        tree(extra=_EXTRA_CONF),
        flags=["--config-dir", "extra_conf"],
        overrides=["+site=mars"],
    ),
    Case(
        "searchpath_in_primary_config",
        tree(
            """\
            defaults:
              - db: mysql
              - site: mars
              - _self_
            hydra:
              searchpath:
                - file://extra_conf
              run:
                dir: out/run
            """,
            extra=_EXTRA_CONF,
            pin=False,
        ),
    ),
    Case("searchpath_from_cli", tree(extra=_EXTRA_CONF), overrides=["hydra.searchpath=[file://extra_conf]", "+site=mars"]),
    Case(
        "searchpath_from_cli_multirun",
        tree(extra=_EXTRA_CONF),
        multirun=True,
        overrides=["hydra.searchpath=[file://extra_conf]", "+site=mars", "x=1,2"],
    ),
    Case("verbose_all", tree(), overrides=["hydra.verbose=true"]),
    # A script's module-level logger is `__main__`; only that logger turns to DEBUG.
    # The script's logger is `__main__` under plain Hydra and `app` when hydra-runner imports it
    # (a documented difference, pinned in tests/cli/test_run.py): name both.
    Case("verbose_main_logger", tree(), overrides=["hydra.verbose=[__main__,app]"]),
    Case("output_subdir_null", tree(), overrides=["hydra.output_subdir=null"]),
    Case("output_subdir_renamed", tree(), overrides=["hydra.output_subdir=meta"]),
    Case("run_dir_from_cli", tree(), overrides=["hydra.run.dir=custom/dir_${x}", "x=4"]),
    Case("default_timestamped_run_dir", tree(pin=False), overrides=["x=2"]),
    Case(
        "run_dir_interpolates_user_config",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            x: 1
            hydra:
              run:
                dir: out/${db.driver}_${x}_${hydra.job.name}
            """,
            pin=False,
        ),
        overrides=["db=pg"],
    ),
    Case("job_logging_disabled_cli", tree(), overrides=["hydra/job_logging=disabled"]),
    Case("job_logging_root_level", tree(), overrides=["hydra.job_logging.root.level=WARNING"]),
    Case(
        "hydra_logging_none_multirun",
        tree(),
        multirun=True,
        overrides=["hydra/hydra_logging=none", "x=1,2"],
    ),
    Case("cfg_job", tree(), flags=["--cfg", "job"], overrides=["db=pg"], compare_stdout=True),
    Case("cfg_job_resolve", tree(
        """\
        defaults:
          - db: mysql
          - _self_
        url: ${db.host}:${db.port}
        """
    ), flags=["--cfg", "job", "--resolve"], compare_stdout=True),
    Case("cfg_job_package", tree(), flags=["--cfg", "job", "--package", "db"], compare_stdout=True),
    Case("cfg_hydra", tree(), flags=["--cfg", "hydra"], overrides=["x=2"], compare_stdout=True),
    Case("cfg_all", tree(), flags=["--cfg", "all"], compare_stdout=True),
]


def test_hydra_settings(case, project):
    check(case, project)
