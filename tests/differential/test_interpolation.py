"""Interpolations: config references, custom resolvers, hydra/now/oc resolvers."""

from __future__ import annotations

from ._harness import App, Case, check
from ._projects import tree

_RESOLVERS = App(
    preamble="""
    OmegaConf.register_new_resolver("twice", lambda x: 2 * int(x))
    OmegaConf.register_new_resolver("join", lambda *parts: "-".join(str(p) for p in parts))
    """
)

CASES = [
    Case(
        "config_references",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            x: 1
            name: demo
            url: ${db.host}:${db.port}
            copy: ${x}
            nested:
              ref: ${name}
              rel: ${.ref}
            """
        ),
        overrides=["db=pg", "x=5"],
    ),
    Case(
        "custom_resolver",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            x: 21
            doubled: ${twice:${x}}
            joined: ${join:a,${db.driver},3}
            """
        ),
        app=_RESOLVERS,
        overrides=["+z=${twice:5}", "x=4"],
    ),
    Case(
        "custom_resolver_in_sweep",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            x: 1
            doubled: ${twice:${x}}
            """
        ),
        app=_RESOLVERS,
        multirun=True,
        overrides=["x=1,2,3"],
    ),
    Case(
        "hydra_resolver",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            x: 1
            job_name: ${hydra:job.name}
            db_choice: ${hydra:runtime.choices.db}
            odn: ${hydra:job.override_dirname}
            out: ${hydra:runtime.output_dir}
            """
        ),
        overrides=["x=3", "db=pg"],
    ),
    Case(
        "now_resolver",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            stamp: ${now:%Y-%m-%d}
            clock: ${now:%H-%M-%S}
            """
        ),
    ),
    Case(
        "oc_env_resolver",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            user: ${oc.env:DIFF_ENV_USER,nobody}
            fallback: ${oc.env:DIFF_ENV_NOT_SET,fallback}
            """
        ),
        env={"DIFF_ENV_USER": "alice"},
    ),
    Case(
        "oc_select_decode_dict_keys",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            sel: ${oc.select:missing.key,dflt}
            dec: "${oc.decode:'[1, 2, {a: 3}]'}"
            keys: ${oc.dict.keys:db}
            """
        ),
    ),
    Case(
        "broken_interpolation_is_lazy",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            bad: ${does.not.exist}
            ok: ${db.host}
            """
        ),
    ),
    Case(
        "escaped_interpolation_in_yaml",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            lit: \\${db.host}
            mixed: pre-\\${x}-${db.port}
            """
        ),
    ),
    Case(
        "interpolation_into_group_option",
        tree(
            """\
            defaults:
              - db: mysql
              - _self_
            port_base: 7000
            """,
            extra={
                "conf/db/computed.yaml": "driver: computed\nport: ${port_base}\nlabel: ${.driver}\n"
            },
        ),
        overrides=["db=computed"],
    ),
]


def test_interpolation(case, project):
    check(case, project)
