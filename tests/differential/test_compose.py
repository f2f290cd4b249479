"""In-process API: ``hydra_runner.compose`` versus ``hydra.compose``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Mapping, Sequence

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import MISSING, DictConfig, OmegaConf

from ._harness import SELF_CHECK, write_tree
from ._projects import GROUPS, tree

if not OmegaConf.has_resolver("diff_triple"):
    OmegaConf.register_new_resolver("diff_triple", lambda x: 3 * int(x))


@dataclass
class _ComposeDB:
    driver: str = "mysql"
    port: int = 3306


@dataclass
class _ComposeTrain:
    defaults: List[Any] = field(default_factory=lambda: [{"db": "mysql"}, "_self_"])
    db: Any = MISSING
    epochs: int = 10
    token: str = MISSING


ConfigStore.instance().store(name="diff_compose_train", node=_ComposeTrain)
ConfigStore.instance().store(name="diff_compose_db_schema", node=_ComposeDB)


@dataclass(frozen=True)
class ComposeCase:
    id: str
    files: Mapping[str, str] = dataclasses.field(default_factory=tree)
    config_name: str = "config"
    overrides: Sequence[str] = ()
    expect_error: bool = False


CASES = [
    ComposeCase("basic"),
    ComposeCase("group_override", overrides=["db=pg", "x=3"]),
    ComposeCase("plus_plusplus_delete", overrides=["+a.b=1", "++x=7", "++c=d", "~db.port"]),
    ComposeCase("package_override", overrides=["+db@backup=pg", "+site@sites.main=local"]),
    ComposeCase("global_experiment_override", overrides=["+experiment=fast"]),
    ComposeCase(
        "self_first",
        files=tree("defaults:\n  - _self_\n  - db: mysql\ndb:\n  host: mine\n"),
    ),
    ComposeCase(
        "optional_absent_and_present",
        files=tree(
            "defaults:\n  - db: mysql\n  - optional site: local\n"
            "  - optional cache: none\n  - _self_\n"
        ),
    ),
    ComposeCase(
        "collections_and_quoting",
        overrides=["+l=[1,{a:2}]", "+d={k:[x,y]}", "name='a b,c'", r"+e=\${x}"],
    ),
    ComposeCase(
        "interpolation_and_resolver",
        files=tree(
            "defaults:\n  - db: mysql\n  - _self_\nx: 2\nt: ${diff_triple:${x}}\n"
            "url: ${db.host}:${db.port}\n"
        ),
        overrides=["x=5"],
    ),
    ComposeCase(
        "structured_primary_from_store",
        config_name="diff_compose_train",
        overrides=["epochs=3", "token=t"],
    ),
    ComposeCase(
        "yaml_with_schema_default",
        files={
            **GROUPS,
            "conf/config.yaml": "defaults:\n  - diff_compose_db_schema@db\n  - _self_\ndb:\n  port: 1\n",
        },
        overrides=["db.port=2"],
    ),
    ComposeCase("config_name_other", files=tree(extra={"conf/other.yaml": "y: 1\n"}), config_name="other"),
    ComposeCase("sweep_syntax_in_compose", overrides=["x=[1,2]", "+s=sort([3,1,2])"]),
    ComposeCase("error_unknown_option", overrides=["db=nope"], expect_error=True),
    ComposeCase("error_type_validation", config_name="diff_compose_train", overrides=["epochs=abc"], expect_error=True),
    ComposeCase("error_missing_primary", config_name="nope", expect_error=True),
    ComposeCase("error_bad_syntax", overrides=["x=[1,2"], expect_error=True),
    ComposeCase("error_nonexistent_key", overrides=["nokey=1"], expect_error=True),
]


def _with_hydra(conf_dir: Path, name: str, overrides: Sequence[str]) -> DictConfig:
    with initialize_config_dir(version_base=None, config_dir=str(conf_dir)):
        return hydra_compose(config_name=name, overrides=list(overrides))


def _with_runner(conf_dir: Path, name: str, overrides: Sequence[str]) -> DictConfig:
    if SELF_CHECK:
        return _with_hydra(conf_dir, name, overrides)
    import hydra_runner

    return hydra_runner.compose(
        config_path=str(conf_dir), config_name=name, overrides=list(overrides)
    )


def _outcome(fn, conf_dir: Path, name: str, overrides: Sequence[str]) -> dict:
    try:
        cfg = fn(conf_dir, name, overrides)
    except Exception as exc:  # compared below
        return {"error": exc}
    finally:
        assert not GlobalHydra.instance().is_initialized(), f"{fn.__name__} leaked GlobalHydra"
    try:
        resolved = OmegaConf.to_container(cfg, resolve=True)
    except Exception as exc:
        resolved = f"{type(exc).__name__}: {exc}"
    return {
        "container": OmegaConf.to_container(cfg, resolve=False),
        "resolved": resolved,
        "yaml": OmegaConf.to_yaml(cfg),
        "type": getattr(OmegaConf.get_type(cfg), "__name__", None),
        "struct": OmegaConf.is_struct(cfg),
        "readonly": OmegaConf.is_readonly(cfg),
    }


def _assert_same(ref: dict, got: dict, label: str) -> None:
    if "error" in ref or "error" in got:
        assert "error" in ref and "error" in got, (
            f"{label}: hydra {'raised ' + repr(ref.get('error')) if 'error' in ref else 'succeeded'}, "
            f"hydra-runner {'raised ' + repr(got.get('error')) if 'error' in got else 'succeeded'}"
        )
        first = str(ref["error"]).strip().splitlines()[0]
        assert first in str(got["error"]), (
            f"{label}: Hydra's message {first!r} not in hydra-runner's error {str(got['error'])!r}"
        )
        return
    for key in ref:
        assert ref[key] == got[key], f"{label}: {key} differs\nhydra: {ref[key]!r}\nrunner: {got[key]!r}"


def test_compose(case: ComposeCase, tmp_path: Path) -> None:
    write_tree(tmp_path, case.files)
    conf_dir = tmp_path / "conf"
    ref = _outcome(_with_hydra, conf_dir, case.config_name, case.overrides)
    assert ("error" in ref) == case.expect_error, f"unexpected Hydra outcome: {ref}"
    got = _outcome(_with_runner, conf_dir, case.config_name, case.overrides)
    _assert_same(ref, got, case.id)


def test_compose_repeatedly_in_one_process(tmp_path: Path) -> None:
    """Interleaved calls (with file edits in between) must keep agreeing."""
    write_tree(tmp_path, tree(extra={"conf/other.yaml": "defaults:\n  - db: sqlite\n  - _self_\nz: 1\n"}))
    conf_dir = tmp_path / "conf"
    calls = [
        ("config", []),
        ("config", ["db=pg"]),
        ("other", []),
        ("config", ["+experiment=fast"]),
        ("config", []),
        ("config", ["db=nope"]),
        ("config", ["x=99"]),
    ]
    for round_ in range(2):
        for i, (name, overrides) in enumerate(calls):
            label = f"round {round_} call {i} {name} {overrides}"
            got = _outcome(_with_runner, conf_dir, name, overrides)
            ref = _outcome(_with_hydra, conf_dir, name, overrides)
            _assert_same(ref, got, label)
        if round_:
            break
        # Files edited between rounds must be picked up, like Hydra does.
        (conf_dir / "db" / "mysql.yaml").write_text("driver: mysql\nhost: edited\nport: 1\n")
        (conf_dir / "db" / "pg.yaml").unlink()
        (conf_dir / "db" / "postgres.yaml").write_text("driver: postgresql\n")
        calls.append(("config", ["db=postgres"]))  # new option; db=pg is now an error
