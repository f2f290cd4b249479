"""Reading a job's return value as the objective value(s) a search optimises."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

__all__ = ["NotAnObjective", "Objective"]


class NotAnObjective(ValueError):
    """The job returned nothing a search can use; the message says why (it becomes a FAIL trial)."""


class Objective:
    """Which part of a return value to optimise, and in which direction(s).

    ``keys`` names the entries of a returned dict (one per direction); without keys a job
    returns a number (one direction) or a sequence of numbers (one per direction).
    """

    def __init__(self, directions: Sequence[str], keys: Union[str, Sequence[str], None] = None) -> None:
        self.directions = [_direction(d) for d in directions]
        self.keys: Optional[list[str]] = [keys] if isinstance(keys, str) else (list(keys) if keys else None)
        if self.keys is not None and len(self.keys) != len(self.directions):
            from hydra_runner.errors import UsageError

            raise UsageError(
                f"{len(self.keys)} objective key(s) {self.keys} for {len(self.directions)} direction(s)",
                fix="give one objective key per direction",
            )

    @property
    def maximize(self) -> bool:
        return self.directions == ["maximize"]

    def values(self, returned: Any) -> list[float]:
        """The objective values in ``returned``; :class:`NotAnObjective` says why there are none."""
        n = len(self.directions)
        if returned is None:
            raise NotAnObjective("the job returned None")
        if self.keys is not None:
            if not isinstance(returned, Mapping):
                raise NotAnObjective(f"the job returned {type(returned).__name__}, not a dict with {self.keys}")
            missing = [k for k in self.keys if k not in returned]
            if missing:
                raise NotAnObjective(f"the job's result has no {missing} (its keys: {list(returned)})")
            return [_number(returned[k], k) for k in self.keys]
        if isinstance(returned, Mapping):
            raise NotAnObjective(f"the job returned a dict {list(returned)}; set the sweeper's objective key")
        if isinstance(returned, Sequence) and not isinstance(returned, str):
            if len(returned) != n:
                raise NotAnObjective(f"the job returned {len(returned)} values for {n} direction(s)")
            return [_number(v, f"value {i}") for i, v in enumerate(returned)]
        if n != 1:
            raise NotAnObjective(f"the job returned one value for {n} directions")
        return [_number(returned, "value")]

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` beats ``b`` (single objective)."""
        return a > b if self.maximize else a < b


def _direction(direction: Any) -> str:
    text = str(getattr(direction, "name", direction)).lower()
    if text not in ("minimize", "maximize"):
        from hydra_runner.errors import UsageError

        raise UsageError(f"unknown direction {direction!r}", fix="use minimize or maximize")
    return text


def _number(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NotAnObjective(f"{what} is {type(value).__name__} {value!r}, not a number") from None
    if math.isnan(number):
        raise NotAnObjective(f"{what} is NaN")
    return number
