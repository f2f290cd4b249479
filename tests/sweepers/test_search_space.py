"""The override grammar read as a search space: each form pinned to its distribution."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hydra_runner import _compat
from hydra_runner.composition.loader import CachingConfigLoader
from hydra_runner.errors import UsageError
from hydra_runner.sweepers.search_space import Param, SearchSpace


def _param(line: str) -> Param:
    (entry,) = SearchSpace.parse([line]).entries
    assert isinstance(entry, Param)
    return entry


@pytest.mark.parametrize(
    "line, distribution",
    [
        ("lr=interval(0.1,0.5)", FloatDistribution(0.1, 0.5)),
        ("lr=interval(1,10)", FloatDistribution(1.0, 10.0)),  # interval() is a float range in Hydra
        ("n=int(interval(1,10))", IntDistribution(1, 10)),
        ("lr=tag(log,interval(1e-4,1e-1))", FloatDistribution(1e-4, 1e-1, log=True)),
        ("n=tag(log,int(interval(1,1024)))", IntDistribution(1, 1024, log=True)),
        # range's stop is excluded, as in Python: range(0,10,3) is 0, 3, 6, 9.
        ("n=range(0,10,3)", IntDistribution(0, 9, step=3)),
        ("n=range(0,10)", IntDistribution(0, 9)),
        ("n=range(1,4)", IntDistribution(1, 3)),
        ("n=range(5,0,-1)", IntDistribution(1, 5)),
        ("f=range(0,1,0.25)", FloatDistribution(0.0, 0.75, step=0.25)),
        ("m=choice(resnet,vit)", CategoricalDistribution(["resnet", "vit"])),
        ("b=1,2,4", CategoricalDistribution([1, 2, 4])),
        ("s=shuffle(range(1,4))", None),
    ],
)
def test_each_form_maps_to_its_distribution(line: str, distribution: object) -> None:
    param = _param(line)
    if distribution is None:  # shuffle: categorical, order irrelevant
        assert param.kind == "categorical" and sorted(param.choices) == [1, 2, 3]
        return
    assert param.distribution() == distribution


def test_range_never_gives_its_stop() -> None:
    param = _param("n=range(0,10,3)")
    rng = random.Random(0)
    drawn = {param.sample(rng) for _ in range(400)}
    assert drawn == {0, 3, 6, 9}


def test_fixed_values_and_order_are_kept() -> None:
    space = SearchSpace.parse(["a=1", "lr=interval(0,1)", "+extra=x", "model=choice(resnet,vit)"])
    assert space.fixed == ["a=1", "+extra=x"]
    assert [p.name for p in space.params] == ["lr", "model"]
    assert space.overrides({"lr": 0.5, "model": "vit"}) == ["a=1", "lr=0.5", "+extra=x", "model=vit"]


def test_a_later_override_of_a_key_wins() -> None:
    # hydra.sweeper.params come first, the command line after: the command line wins.
    space = SearchSpace.parse(["lr=interval(0,1)", "lr=0.3"])
    assert space.entries == ["lr=0.3"]


@pytest.mark.parametrize("value", ["it's", "1", "a b", "x,y", "null", "${oops}", True, 3, 2.0, 1e-5, "résumé"])
def test_written_values_parse_back_to_themselves(value: object) -> None:
    # Values a custom search space suggests are written with the same encoder as choices.
    (text,) = SearchSpace([]).overrides({"k": value})
    parsed = OverridesParser.create().parse_override(text).value()
    assert parsed == value and type(parsed) is type(value)


def test_quoted_choices_keep_their_quotes() -> None:
    param = _param("k='1','it\\'s'")
    assert param.choices == ("1", "it's")
    for choice in param.choices:
        parsed = OverridesParser.create().parse_override(param.override(choice)).value()
        assert parsed == choice and isinstance(parsed, str)


def test_log_sampling_stays_in_bounds_and_spreads_over_decades() -> None:
    param = _param("lr=tag(log,interval(1e-4,1e-1))")
    rng = random.Random(1)
    draws = [param.sample(rng) for _ in range(2000)]
    assert all(1e-4 <= d <= 1e-1 for d in draws)
    decades = {math.floor(math.log10(d)) for d in draws}
    assert decades == {-4, -3, -2}  # a uniform draw would almost never go below 1e-3


@pytest.mark.parametrize(
    "line, message",
    [
        ("n=range(5,5)", "empty range"),
        ("lr=tag(log,interval(0,1))", "positive lower bound"),
        ("lr=interval(2,1)", "interval is empty"),
    ],
)
def test_impossible_spaces_are_usage_errors(line: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        SearchSpace.parse([line])


@pytest.fixture
def model_group(tmp_path: Path) -> CachingConfigLoader:
    """A config loader over a ``model`` group with three options, and a plain key ``x``."""
    (tmp_path / "model").mkdir()
    for name in ("alpha", "beta", "gamma"):
        (tmp_path / "model" / f"{name}.yaml").write_text(f"name: {name}\n")
    (tmp_path / "config.yaml").write_text("defaults:\n  - model: alpha\n  - _self_\nx: 1\n")
    return CachingConfigLoader(_compat.create_config_search_path(str(tmp_path)))


@pytest.mark.parametrize(
    "line, choices",
    [
        ("model=glob(*)", ["alpha", "beta", "gamma"]),
        ("model=glob(*,exclude=beta)", ["alpha", "gamma"]),
        ("+model=glob([a*,g*])", ["alpha", "gamma"]),
    ],
)
def test_glob_chooses_among_the_groups_matching_options(model_group: CachingConfigLoader, line: str,
                                                        choices: list[str]) -> None:
    (param,) = SearchSpace.parse([line], config_loader=model_group).params
    assert param.distribution() == CategoricalDistribution(choices)
    key = line.split("=")[0]
    assert [param.override(c) for c in choices] == [f"{key}={c}" for c in choices]


@pytest.mark.parametrize(
    "line, message",
    [
        ("x=glob(a*)", "'x' is not a config group"),
        ("model=glob(z*)", "matches none of the options of 'model': alpha, beta, gamma"),
    ],
)
def test_a_glob_that_selects_nothing_is_a_usage_error(model_group: CachingConfigLoader, line: str,
                                                      message: str) -> None:
    with pytest.raises(UsageError, match=message):
        SearchSpace.parse([line], config_loader=model_group)


def test_the_example_trial_takes_each_lower_bound_and_first_choice() -> None:
    space = SearchSpace.parse(["lr=tag(log,interval(1e-4,1e-1))", "depth=int(interval(2,8))", "model=choice(vit,resnet)",
                               "epochs=3", "steps=range(10,20,5)"])
    assert space.example() == ["lr=0.0001", "depth=2", "model=vit", "epochs=3", "steps=10"]


@pytest.mark.parametrize("line", [
    "x=interval(-12,12)", "+x=interval(0,1)", "++x=interval(0,1)", "x@pkg=interval(0,1)",
    "n=int(interval(1,100))", "lr=tag(log,interval(1e-8,1e8))", "steps=range(0,50,5)", "f=range(0.5,3.5,0.25)",
])
def test_numbers_are_given_already_parsed_exactly_as_the_parser_would(line: str) -> None:
    parser = OverridesParser.create()
    param = SearchSpace.parse([line]).params[0]
    rng = random.Random(0)
    values = [param.sample(rng) for _ in range(200)] + [param.low, param.high]
    if param.kind == "float":
        values += [2.0, -0.0, 1e-7, 123456789.125, 1e16, 3e-320]
    for value in values:
        built = param.parsed_override(value)
        assert built == parser.parse_override(param.override(value)), value
        assert type(built.value()) is type(value)


def test_choices_are_left_to_the_parser() -> None:
    space = SearchSpace.parse(["model=choice(vit,resnet)", "lr=interval(0,1)", "epochs=3"])
    assert [o.input_line for o in space.parsed_overrides({"model": "vit", "lr": 0.5})] == ["lr=0.5"]


def test_probes_give_each_param_its_bounds_and_each_choice_the_others_the_example() -> None:
    space = SearchSpace.parse(["lr=interval(0.001,0.1)", "fixed=7", "model=choice(a,b,c)", "n=range(1,10)"])
    assert space.example() == ["lr=0.001", "fixed=7", "model=a", "n=1"]
    assert space.probes() == [
        ["lr=0.001", "fixed=7", "model=a", "n=1"],
        ["lr=0.1", "fixed=7", "model=a", "n=1"],
        ["lr=0.001", "fixed=7", "model=b", "n=1"],
        ["lr=0.001", "fixed=7", "model=c", "n=1"],
        ["lr=0.001", "fixed=7", "model=a", "n=9"],
    ]
