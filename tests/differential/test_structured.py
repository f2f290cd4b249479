"""Structured configs: dataclasses in the ConfigStore, schemas, validation."""

from __future__ import annotations

from ._harness import CONFIG_ERROR, TASK_ERROR, App, Case, check
from ._projects import tree

_DATACLASSES = """
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


class Mode(Enum):
    TRAIN = 1
    EVAL = 2


@dataclass
class DBConf:
    driver: str = MISSING
    host: str = "localhost"
    port: int = 3306


@dataclass
class MySQLConf(DBConf):
    driver: str = "mysql"


@dataclass
class PGConf(DBConf):
    driver: str = "postgresql"
    host: str = "pghost"
    port: int = 5432


@dataclass
class S3Conf:
    bucket: str = "data"
    region: str = "eu-west-1"
    retries: int = 3


@dataclass
class SchemaConf:
    epochs: int = 1
    lr: float = 0.1
    mode: Mode = Mode.TRAIN
    db: Any = None
    store: Any = None


@dataclass
class TrainConf:
    defaults: List[Any] = field(default_factory=lambda: [{"db": "mysql"}, "_self_"])
    db: DBConf = MISSING
    epochs: int = 10
    lr: float = 0.01
    mode: Mode = Mode.TRAIN
    layers: List[int] = field(default_factory=lambda: [64, 32])
    name: Optional[str] = None
    token: str = MISSING
"""

# Primary config is a dataclass; no config directory at all.
_PRIMARY_DC = App(
    config_path=None,
    config_name="train",
    preamble=_DATACLASSES
    + """
cs = ConfigStore.instance()
cs.store(name="train", node=TrainConf)
cs.store(group="db", name="mysql", node=MySQLConf)
cs.store(group="db", name="pg", node=PGConf)
""",
)
_READ_TOKEN = App(
    config_path=None,
    config_name="train",
    preamble=_PRIMARY_DC.preamble,
    body="return 'token=' + cfg.token",
)

# YAML primary/options validated against schemas from the ConfigStore.
_SCHEMA_APP = App(
    preamble=_DATACLASSES
    + """
cs = ConfigStore.instance()
cs.store(name="schema", node=SchemaConf)
cs.store(group="db", name="mysql_schema", node=MySQLConf)
cs.store(group="store", name="s3", node=S3Conf)
"""
)


def _schema_tree(epochs: str = "20") -> dict[str, str]:
    return tree(
        f"""\
        defaults:
          - schema
          - db: mysql
          - store: s3
          - _self_
        epochs: {epochs}
        """,
        extra={
            "conf/db/mysql.yaml": (
                "defaults:\n  - mysql_schema\n  - _self_\n\nhost: typed.example\nport: 3310\n"
            )
        },
    )


CASES = [
    Case("primary_dataclass", {}, app=_PRIMARY_DC, overrides=["token=abc"]),
    Case("group_dataclass_switch", {}, app=_PRIMARY_DC, overrides=["db=pg", "token=t"]),
    Case(
        "coercions",
        {},
        app=_PRIMARY_DC,
        overrides=["epochs='7'", "lr=1", "db.port='8080'", "layers=[1,2,3]"],
    ),
    Case("enum_by_name", {}, app=_PRIMARY_DC, overrides=["mode=EVAL"]),
    Case("optional_field_set", {}, app=_PRIMARY_DC, overrides=["name=foo", "token=x"]),
    Case("optional_field_null", {}, app=_PRIMARY_DC, overrides=["name=null"]),
    Case(
        "non_optional_field_null", {}, app=_PRIMARY_DC, overrides=["token=null"], expect=CONFIG_ERROR
    ),
    Case("plus_new_key", {}, app=_PRIMARY_DC, overrides=["+extra=1"]),
    Case("int_field_gets_string", {}, app=_PRIMARY_DC, overrides=["epochs=abc"], expect=CONFIG_ERROR),
    Case("int_field_gets_float", {}, app=_PRIMARY_DC, overrides=["epochs=1.5"], expect=CONFIG_ERROR),
    Case("enum_bad_value", {}, app=_PRIMARY_DC, overrides=["mode=BAD"], expect=CONFIG_ERROR),
    Case("typed_list_bad_item", {}, app=_PRIMARY_DC, overrides=["layers=[a,b]"], expect=CONFIG_ERROR),
    Case("unknown_key_without_plus", {}, app=_PRIMARY_DC, overrides=["newkey=1"], expect=CONFIG_ERROR),
    Case("group_field_type_error", {}, app=_PRIMARY_DC, overrides=["db=pg", "db.port=x"], expect=CONFIG_ERROR),
    Case("missing_value_read_in_task", {}, app=_READ_TOKEN, expect=TASK_ERROR),
    Case("missing_value_given", {}, app=_READ_TOKEN, overrides=["token=secret"]),
    Case(
        "dataclass_multirun",
        {},
        app=_PRIMARY_DC,
        multirun=True,
        overrides=["db=mysql,pg", "epochs=1,2", "token=t"],
    ),
    Case("yaml_with_schemas", _schema_tree(), app=_SCHEMA_APP, overrides=["store.retries=5"]),
    Case(
        "yaml_schema_bad_yaml_value",
        _schema_tree(epochs="many"),
        app=_SCHEMA_APP,
        expect=CONFIG_ERROR,
    ),
    Case(
        "yaml_group_schema_bad_cli_value",
        _schema_tree(),
        app=_SCHEMA_APP,
        overrides=["db.port=abc"],
        expect=CONFIG_ERROR,
    ),
]


def test_structured(case, project):
    check(case, project)
