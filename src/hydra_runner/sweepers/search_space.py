"""A search space read from Hydra's override grammar, for the Optuna and random sweepers.

    x=interval(a,b)              float in [a, b]
    x=int(interval(a,b))         int in [a, b]
    x=tag(log, interval(a,b))    on a log scale (int or float)
    x=range(a,b[,step])          ints (or floats) from a, by step, to b *excluded*, as Python's range
    x=choice(a,b) / x=a,b        categorical; config groups too (model=choice(resnet,vit))
    group=glob(pattern[,exclude=...])  categorical over the group's matching options, as a grid expands it
    x=shuffle(...)               categorical (order is meaningless to a sampler)
    x=value                      fixed: passed to every trial as it is

Each sampled value is written back as an override that Hydra parses to that same value.
Optuna's distributions are built only when asked (:meth:`Param.distribution`), so the
random sweeper never imports Optuna.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Union

from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import (
    ChoiceSweep,
    Glob,
    IntervalSweep,
    Override,
    QuotedString,
    RangeSweep,
    ValueType,
)

from hydra_runner.errors import UsageError

__all__ = ["Param", "SearchSpace"]

FLOAT, INT, CATEGORICAL = "float", "int", "categorical"


@dataclass(frozen=True)
class Param:
    """One searched parameter; ``name`` is the override's key (``optimizer.lr``, ``model``, ``+x``)."""

    name: str
    kind: str
    low: Optional[float] = None
    high: Optional[float] = None
    step: Optional[float] = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    #: For categorical params: each choice as it is written in an override.
    texts: tuple[str, ...] = field(default=(), compare=False)
    #: The sweep override this param was read from (its key, type and package).
    source: Optional[Override] = field(default=None, compare=False, repr=False)

    def distribution(self) -> Any:
        """This parameter as an Optuna distribution."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == CATEGORICAL:
            return CategoricalDistribution(list(self.choices))
        if self.kind == INT:
            return IntDistribution(int(self.low), int(self.high), log=self.log, step=int(self.step or 1))  # type: ignore[arg-type]
        return FloatDistribution(self.low, self.high, log=self.log, step=self.step)  # type: ignore[arg-type]

    def sample(self, rng: random.Random) -> Any:
        """A value drawn uniformly (on a log scale when ``log``) from this parameter's range."""
        if self.kind == CATEGORICAL:
            return rng.choice(self.choices)
        assert self.low is not None and self.high is not None
        if self.step:
            count = int(round((self.high - self.low) / self.step)) + 1
            value = self.low + rng.randrange(count) * self.step
            return int(value) if self.kind == INT else value
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
            return min(max(int(round(value)), int(self.low)), int(self.high)) if self.kind == INT else value
        if self.kind == INT:
            return rng.randint(int(self.low), int(self.high))
        return rng.uniform(self.low, self.high)

    def parsed_override(self, value: Any) -> Optional[Override]:
        """What Hydra's parser makes of ``override(value)``, built without parsing; None for choices.

        A number is written so that it parses back to itself (see :func:`_number_text`),
        so the parsed value is ``value`` and the rest comes from the sweep override.
        """
        if self.kind == CATEGORICAL or self.source is None or type(value) not in (int, float):
            return None
        return dataclasses.replace(self.source, value_type=ValueType.ELEMENT, _value=value,
                                   input_line=self.override(value), config_loader=None)

    def override(self, value: Any) -> str:
        """The override giving this parameter ``value``."""
        if self.kind == CATEGORICAL:
            for choice, text in zip(self.choices, self.texts):
                if choice == value and type(choice) is type(value):
                    return f"{self.name}={text}"
        return f"{self.name}={_number_text(value)}"


@dataclass
class SearchSpace:
    """The searched params and the fixed overrides, in the order they were given."""

    entries: list[Union[Param, str]]

    @property
    def params(self) -> list[Param]:
        return [entry for entry in self.entries if isinstance(entry, Param)]

    @property
    def fixed(self) -> list[str]:
        return [entry for entry in self.entries if isinstance(entry, str)]

    def overrides(self, values: dict[str, Any]) -> list[str]:
        """A trial's overrides: each param set to ``values[name]``; params missing from it are left out.

        ``values`` may hold more names than the space (a custom search space's own
        suggestions); those become overrides too, after the rest.
        """
        lines: list[str] = []
        for entry in self.entries:
            if isinstance(entry, str):
                lines.append(entry)
            elif entry.name in values:
                lines.append(entry.override(values[entry.name]))
        known = {p.name for p in self.params}
        lines.extend(f"{name}={_value_text(value)}" for name, value in values.items() if name not in known)
        return lines

    def parsed_overrides(self, values: dict[str, Any]) -> list[Override]:
        """Of :meth:`overrides`, those built without the parser (numbers), already parsed."""
        built = (p.parsed_override(values[p.name]) for p in self.params if p.name in values)
        return [override for override in built if override is not None]

    def example(self) -> list[str]:
        """The overrides of one trial (each param at its lower bound or first choice).

        Trials whose config groups are chosen alike compose the same way, so this is
        what a launcher can prepare ahead of them.
        """
        return self.overrides({p.name: p.choices[0] if p.kind == CATEGORICAL else p.low for p in self.params})

    def probes(self) -> list[list[str]]:
        """Trials that between them give each param its bounds and each of its choices, the others as in :meth:`example`.

        Composing these before the sweep starts finds unknown keys, group options and
        ill-typed values before anything is written.
        """
        first = {p.name: p.choices[0] if p.kind == CATEGORICAL else p.low for p in self.params}
        probes = [self.overrides(first)]
        for param in self.params:
            for value in param.choices[1:] if param.kind == CATEGORICAL else (param.high,):
                probes.append(self.overrides({**first, param.name: value}))
        return probes

    @classmethod
    def parse(cls, arguments: Iterable[str], *, config_loader: Any = None) -> SearchSpace:
        """The space of override strings (the command line after ``hydra.sweeper.params``).

        A key given twice keeps its last value, as Hydra does for the command line over the
        sweeper's ``params``.
        """
        parser = OverridesParser.create(config_loader=config_loader)
        by_key: dict[str, Union[Param, str]] = {}
        for override in parser.parse_overrides(list(arguments)):
            key = override.get_key_element()
            by_key.pop(key, None)
            by_key[key] = _param(override) if override.is_sweep_override() else override.input_line or ""
        return cls(list(by_key.values()))


def _param(override: Override) -> Param:
    name = override.get_key_element()
    value = override.value()
    if isinstance(value, IntervalSweep):
        assert value.start is not None and value.end is not None
        log = "log" in value.tags
        if log and value.start <= 0:
            raise UsageError(f"'{override.input_line}': a log scale needs a positive lower bound",
                             fix=f"use tag(log, interval(a,b)) with a > 0 for {name}")
        if value.start > value.end:
            raise UsageError(f"'{override.input_line}': the interval is empty", fix="write interval(low, high)")
        if isinstance(value.start, int) and isinstance(value.end, int):
            return Param(name, INT, low=value.start, high=value.end, log=log, source=override)
        return Param(name, FLOAT, low=float(value.start), high=float(value.end), log=log, source=override)
    if isinstance(value, RangeSweep) and not value.shuffle:
        values = list(override.sweep_iterator())
        if not values:
            raise UsageError(f"'{override.input_line}' is an empty range", fix="check the range's start, stop and step")
        step = abs(value.step)
        # range's stop is excluded: the highest value is the last one the range gives.
        if all(isinstance(v, int) for v in values):
            return Param(name, INT, low=min(values), high=max(values), step=step, source=override)
        return Param(name, FLOAT, low=float(min(values)), high=float(max(values)), step=float(step), source=override)
    if isinstance(value, (ChoiceSweep, RangeSweep, Glob)):
        raw = _glob_options(override, value) if isinstance(value, Glob) else list(override.sweep_iterator())
        if not raw:
            raise UsageError(f"'{override.input_line}' gives no choice", fix="list at least one value")
        choices = [_choice(v) for v in raw]
        return Param(name, CATEGORICAL, choices=tuple(c for c, _ in choices), texts=tuple(t for _, t in choices))
    raise UsageError(f"'{override.input_line}' cannot be searched", fix="use interval(...), range(...) or choice(...)")


def _glob_options(override: Override, glob: Glob) -> list[str]:
    """The config group options ``glob`` selects, as Hydra's grid expands it; never none."""
    group = override.key_or_group
    if override.config_loader is None:
        raise UsageError(f"'{override.input_line}': glob(...) needs the app's config loader to list '{group}'",
                         fix="pass config_loader= to SearchSpace.parse")
    options = override.config_loader.get_group_options(group, results_filter=ObjectType.CONFIG)
    if not options:
        raise UsageError(f"'{override.input_line}': glob(...) chooses among a config group's options, "
                         f"and '{group}' is not a config group",
                         fix=f"list the values to search: {group}=choice(a,b)")
    selected = glob.filter(options)
    if not selected:
        raise UsageError(f"'{override.input_line}' matches none of the options of '{group}': {', '.join(options)}",
                         fix="change the pattern or its exclude=")
    return selected


def _choice(value: Any) -> tuple[Any, str]:
    """A choice as Optuna stores it (a scalar) and as an override writes it."""
    if isinstance(value, QuotedString):
        return value.text, value.with_quotes()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value, _value_text(value)
    # Optuna's categorical choices are scalars: a list or dict choice is kept as its override text.
    text = Override._get_value_element_as_str(value)
    return text, text


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)  # "2.0": stays a float when parsed
    return _value_text(value)


_PARSER: Optional[OverridesParser] = None


def _value_text(value: Any) -> str:
    """``value`` as override text that Hydra parses back to ``value`` (same type)."""
    global _PARSER
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return Override._get_value_element_as_str(value)
    if not isinstance(value, str):
        return Override._get_value_element_as_str(value)
    _PARSER = _PARSER or OverridesParser.create()
    plain = Override._get_value_element_as_str(value)
    for text in (plain, "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"):
        try:
            parsed = _PARSER.parse_override(f"k={text}").value()
        except Exception:
            continue
        if parsed == value and isinstance(parsed, str):
            return text
    return plain
