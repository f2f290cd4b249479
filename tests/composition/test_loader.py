"""The caching loader: same configs as Hydra's ConfigLoaderImpl, templates reused."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from omegaconf import OmegaConf, open_dict

from hydra_runner import _compat
from hydra_runner.composition.loader import CachingConfigLoader


@pytest.fixture
def conf(tmp_path: Path) -> str:
    (tmp_path / "db").mkdir()
    (tmp_path / "config.yaml").write_text(
        "defaults:\n  - db: mysql\n  - _self_\nlr: 0.1\nitems: [1, 2]\nhydra:\n  job:\n    chdir: false\n"
    )
    (tmp_path / "db" / "mysql.yaml").write_text("driver: mysql\nport: 3306\n")
    (tmp_path / "db" / "pg.yaml").write_text("driver: pg\nport: 5432\n")
    return str(tmp_path)


def _loaders(conf: str) -> tuple[ConfigLoaderImpl, CachingConfigLoader]:
    GlobalHydra.instance().clear()
    # Hydra's resolvers, as creating a Hydra registers them: on Hydra 1.4 override_dirname is one.
    _compat.setup_globals()
    csp = create_config_search_path(conf)
    return ConfigLoaderImpl(csp), CachingConfigLoader(create_config_search_path(conf))


CASES = [
    ["lr=0.5"],
    ["db=pg", "lr=0.2"],
    ["lr=0.3", "db=pg", "+new=1", "~items"],
    ["++lr=7", "items=[3,4,5]"],
    ["db.port=1", "db=pg"],
]


@pytest.mark.parametrize("job", CASES, ids=[" ".join(c) for c in CASES])
def test_sweep_config_equals_hydra(conf: str, job: list[str]) -> None:
    plain, caching = _loaders(conf)
    master = plain.load_configuration("config", ["hydra.mode=MULTIRUN"], RunMode.MULTIRUN)
    expected = plain.load_sweep_config(master, list(job))
    for _ in range(2):  # the second time comes from the template cache
        got = caching.load_sweep_config(master, list(job))
        assert OmegaConf.to_yaml(got) == OmegaConf.to_yaml(expected)
        assert got.hydra.overrides.task == expected.hydra.overrides.task
        assert got.hydra.job.override_dirname == expected.hydra.job.override_dirname
        with open_dict(got):  # what BasicLauncher does with it
            got.hydra.job.num = 3


def test_templates_are_shared_by_value_overrides(conf: str) -> None:
    plain, caching = _loaders(conf)
    master = plain.load_configuration("config", ["hydra.mode=MULTIRUN"], RunMode.MULTIRUN)
    for lr in range(20):
        caching.compose_job(master, [f"lr={lr}", "db=pg" if lr % 2 else "db=mysql"])
    assert len(caching._templates) == 2


@pytest.mark.parametrize("bad", [["nope=1"], ["db=oracle"], ["lr=1,2"], ["~missing"], ["+lr=1"]])
def test_errors_equal_hydra(conf: str, bad: list[str]) -> None:
    plain, caching = _loaders(conf)
    master = plain.load_configuration("config", [], RunMode.MULTIRUN)
    with pytest.raises(Exception) as expected:
        plain.load_sweep_config(master, list(bad))
    with pytest.raises(type(expected.value)) as got:
        caching.load_sweep_config(master, list(bad))
    assert str(got.value) == str(expected.value)
    assert isinstance(got.value, (ConfigCompositionException, type(expected.value)))


def test_hydra_yaml_equals_whole_dump(conf: str) -> None:
    plain, caching = _loaders(conf)
    master = plain.load_configuration("config", [], RunMode.MULTIRUN)
    for job in (["lr=1", "db=pg"], ["lr=2", "db=pg"]):
        composed = caching.compose_job(master, job, job_num=4)
        composed.set_output_dir("/tmp/out/4")
        whole = copy.deepcopy(composed.template.hydra_root)
        assert composed.template.hydra_yaml() == OmegaConf.to_yaml(whole)
        assert "num: 4" in composed.template.hydra_yaml()


def test_a_prepared_template_writes_the_same_hydra_yaml_and_has_its_interpolations_parsed(conf: str) -> None:
    import pickle

    from omegaconf import base

    plain, caching = _loaders(conf)
    master = plain.load_configuration("config", [], RunMode.MULTIRUN)
    template = caching.compose_job(master, ["lr=1"]).template
    prepared = pickle.loads(pickle.dumps(template))  # as a worker gets it
    base.parse.cache_clear()
    prepared.prepare_outputs()
    assert base.parse.cache_info().currsize >= 3  # the sweep dir, its subdir, the log file name at least
    for t in (template, prepared):
        caching.adopt_template(t)
        composed = caching.compose_job(master, ["lr=2"], job_num=7)
        assert composed.template is t
        composed.set_output_dir("/tmp/out/7")
    assert prepared.hydra_yaml() == template.hydra_yaml() == OmegaConf.to_yaml(copy.deepcopy(template.hydra_root))
    assert "num: 7" in prepared.hydra_yaml()


def test_loader_pickles_without_caches(conf: str) -> None:
    import pickle

    _, caching = _loaders(conf)
    caching.compose_run("config", ["lr=3"])
    clone = pickle.loads(pickle.dumps(caching))
    assert clone._templates == {} and clone.compose_run("config", ["lr=4"]).task_config().lr == 4


def test_an_adopted_template_serves_jobs_without_composing_them_again(conf: str) -> None:
    import pickle

    plain, caching = _loaders(conf)
    master = plain.load_configuration("config", ["hydra.mode=MULTIRUN"], RunMode.MULTIRUN)
    expected = plain.load_sweep_config(master, ["lr=0.5", "db=pg"])
    sent = caching.compose_job(master, ["lr=0.9", "db=pg"], job_num=1)
    sent.set_output_dir("/tmp/out/1")  # the sender's shared hydra node now holds job 1's fields
    receiver = pickle.loads(pickle.dumps(caching))
    receiver.prepare_for(master)  # what a worker builds while it waits: the repository, no template
    receiver.adopt_template(pickle.loads(pickle.dumps(sent.template)))
    # Composing now would read these; a job of the adopted template does not.
    for name in ("pg", "mysql"):
        (Path(conf) / "db" / f"{name}.yaml").write_text(f"driver: {name}\nport: 1\n")
    got = receiver.load_sweep_config(master, ["lr=0.5", "db=pg"])
    assert OmegaConf.to_yaml(got) == OmegaConf.to_yaml(expected)
    assert receiver.load_sweep_config(master, ["lr=0.5", "db=mysql"]).db.port == 1  # another template: composed


def test_a_long_sweeps_parsed_lines_are_bounded_and_still_right(conf: str) -> None:
    plain, _ = _loaders(conf)
    caching = CachingConfigLoader(create_config_search_path(conf), max_parsed=8)
    master = plain.load_configuration("config", ["hydra.mode=MULTIRUN"], RunMode.MULTIRUN)
    for lr in range(50):
        job = caching.compose_job(master, [f"lr={lr}", "db=pg"])
        assert job.task_config().lr == lr and job.task_config().db.driver == "pg"
    assert len(caching._parsed) <= 8


def test_a_line_whose_parse_is_given_is_not_parsed_again(conf: str) -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    plain, caching = _loaders(conf)
    master = plain.load_configuration("config", ["hydra.mode=MULTIRUN"], RunMode.MULTIRUN)
    # The caller vouches for the parse: a deliberately different one shows that it is used as given.
    given = copy.copy(OverridesParser.create().parse_override("lr=0.5"))
    given._value = 0.25
    caching.take_parsed([given])
    assert caching.compose_job(master, ["lr=0.5"]).task_config().lr == 0.25
    assert caching.compose_job(master, ["lr=0.75"]).task_config().lr == 0.75


def test_a_searchpath_given_to_one_composition_stays_out_of_the_next(conf: str, tmp_path: Path) -> None:
    extra = tmp_path / "extra" / "site"
    extra.mkdir(parents=True)
    (extra / "mars.yaml").write_text("url: https://mars.example\n")
    plain, caching = _loaders(conf)
    with_path = [f"hydra.searchpath=[file://{extra.parent}]", "+site=mars"]
    expected = plain.load_configuration("config", with_path, RunMode.RUN)
    sources_before = list(caching.repository.get_sources())
    got = caching.load_configuration("config", with_path, RunMode.RUN)
    assert OmegaConf.to_yaml(got) == OmegaConf.to_yaml(expected)
    assert got.site.url == "https://mars.example"
    assert list(caching.repository.get_sources()) == sources_before
    # Without the search path, site is no group: the same override adds a string.
    assert caching.load_configuration("config", ["+site=mars"], RunMode.RUN).site == "mars"


def test_compositions_do_not_share_the_config_stores_nodes(conf: str) -> None:
    from hydra.core.config_store import ConfigStore

    plain, caching = _loaders(conf)
    stored = ConfigStore.instance().load("hydra/config.yaml").node
    first = caching.load_configuration("config", ["hydra.job.name=first"], RunMode.RUN)
    first.hydra.job.name = "changed"
    second = caching.load_configuration("config", [], RunMode.RUN)
    assert second.hydra.job.name != "changed"
    assert OmegaConf.to_yaml(ConfigStore.instance().load("hydra/config.yaml").node) == OmegaConf.to_yaml(stored)
