"""Options declared once: a dataclass field gives the CLI flag, the API keyword, the Hydra config key.

A backend's options are one dataclass (:class:`Options`). Each field is declared with
:func:`option` (help, flags, a check) and everything else is derived from it:

* the click options of ``run`` / ``multirun`` (:func:`click_params`);
* the keyword of the Python API, which is the long flag's name (``--jobs`` -> ``jobs=``);
* the Hydra config node of the backend (:meth:`Options.hydra_schema`, stored in the
  ConfigStore as ``hydra/launcher=runner_pool`` ...), whose keys are the field names;
* the overrides that select and set that node (:meth:`Options.overrides`), so a sweep's
  ``hydra.yaml`` records how it ran and ``resume`` runs it the same way;
* the options a backend is built with, read back from that node (:meth:`Options.from_config`).

Checks run in ``__post_init__``, so a bad value is refused the same way whichever of
the three doors it came through; the error names the flag or the config key it came from.
This module is light (no Hydra, no click at import): the CLI builds its flags from it at
start-up and Hydra's plugin scan imports it.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterator, Mapping, Optional, Sequence

from hydra_runner.errors import UsageError

__all__ = ["OptionInfo", "Options", "check_count", "check_positive_seconds", "is_unset", "option", "quoted"]


class OptionValueError(ValueError):
    """A check refused a value; :meth:`Options.refuse` says where the value came from."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


@dataclass(frozen=True)
class OptionInfo:
    help: str
    #: The CLI's flags ("-j", "--jobs"); default: "--" + the field's name with dashes.
    flags: tuple[str, ...] = ()
    metavar: Optional[str] = None
    #: Turns what was given into the field's value, or raises OptionValueError.
    check: Optional[Callable[[Any], Any]] = None
    #: Giving this flag chooses the backend (``--ray-address`` means Ray).
    selects: bool = False
    #: Shown as a flag (a config-only setting has False).
    cli: bool = True

    def shown_flag(self, name: str) -> str:
        """The flag as help shows it first (``-j``)."""
        return self.flags[0] if self.flags else self.long_flag(name)

    def long_flag(self, name: str) -> str:
        longs = [flag for flag in self.flags if flag.startswith("--")]
        return longs[0] if longs else "--" + name.replace("_", "-")


def option(default: Any = None, *, help: str, flags: Sequence[str] = (), metavar: Optional[str] = None,
           check: Optional[Callable[[Any], Any]] = None, selects: bool = False, cli: bool = True) -> Any:
    """A field of an :class:`Options` dataclass (a list or dict default is copied per instance)."""
    info = OptionInfo(help, tuple(flags), metavar, check, selects, cli)
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"option": info})
    return field(default=default, metadata={"option": info})


@dataclass(frozen=True)
class _Field:
    name: str
    info: OptionInfo
    type: Any
    default: Any

    @property
    def keyword(self) -> str:
        """The API keyword and click parameter: the long flag, ``--no-wait`` -> ``no_wait``."""
        return self.info.long_flag(self.name)[2:].replace("-", "_")

    @property
    def is_switch(self) -> bool:
        return self.type is bool

    def from_keyword(self, value: Any) -> Any:
        # A bool's flag flips its default: --fail-fast sets True, --no-wait sets wait False.
        if self.is_switch:
            return (not self.default) if value else self.default
        return list(value) if isinstance(value, tuple) else value


class Options:
    """Base of every options dataclass; subclasses are ``@dataclass`` with :func:`option` fields."""

    #: The Hydra config group and option that select these options' backend.
    group: ClassVar[str] = ""
    name: ClassVar[str] = ""
    #: ``_target_`` of that config node.
    target: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for spec in self.fields():
            if spec.info.check is None:
                continue
            value = getattr(self, spec.name)
            try:
                object.__setattr__(self, spec.name, value if value is None else spec.info.check(value))
            except OptionValueError as e:
                self.refuse(spec, value, e)

    def refuse(self, spec: _Field, value: Any, error: OptionValueError) -> None:
        source = getattr(self, "_source", "keyword")
        where = (spec.info.long_flag(spec.name) if source == "keyword"
                 else f"{self.group.replace('/', '.')}.{spec.name}")
        raise UsageError(f"{where} {value}: {error}", fix=error.fix) from None

    # -- the declarations -------------------------------------------------------------------

    @classmethod
    def fields(cls) -> Iterator[_Field]:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            info = f.metadata.get("option")
            if info is None:
                continue
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            yield _Field(f.name, info, _plain_type(hints[f.name]), default)

    @classmethod
    def keywords(cls) -> dict[str, _Field]:
        """The fields by API keyword (= CLI flag)."""
        return {spec.keyword: spec for spec in cls.fields() if spec.info.cli}

    # -- the three doors ----------------------------------------------------------------------

    @classmethod
    def from_keywords(cls, given: Mapping[str, Any]) -> Any:
        """From the CLI's flags or the API's keywords (only those given, by keyword)."""
        specs = cls.keywords()
        values = {specs[key].name: specs[key].from_keyword(value) for key, value in given.items()}
        return _built(cls, values, "keyword")

    @classmethod
    def from_config(cls, node: Mapping[str, Any]) -> Any:
        """From the backend's Hydra config node (``_target_`` and unknown keys aside)."""
        names = {spec.name for spec in cls.fields()}
        return _built(cls, {key: value for key, value in node.items() if key in names}, "config")

    def overrides(self) -> list[str]:
        """The Hydra overrides that select this backend with these options (defaults left out)."""
        args = [f"{self.group}={self.name}"] if self.group else []
        for spec in self.fields():
            value = getattr(self, spec.name)
            if value != spec.default:
                args.append(f"{self.override_prefix()}.{spec.name}={_override_value(value)}")
        return args

    def override_prefix(self) -> str:
        return self.group.replace("/", ".")

    @classmethod
    def hydra_schema(cls) -> type:
        """The structured config of this backend's node: ``_target_`` and every field.

        Named ``XConf`` for ``XOptions`` in the same module, where the module binds it: configs
        holding it are pickled (to pool workers) and find their class by that name.
        """
        hints = typing.get_type_hints(cls)
        specs = [("_target_", str, field(default=cls.target))]
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if "option" in f.metadata:
                default = (field(default_factory=f.default_factory) if f.default is dataclasses.MISSING
                           else field(default=f.default))
                specs.append((f.name, _config_type(hints[f.name]), default))
        schema = dataclasses.make_dataclass(cls.__name__.replace("Options", "Conf"), specs)
        schema.__module__ = cls.__module__
        return schema


def _built(cls: Any, values: dict[str, Any], source: str) -> Any:
    # The source (flags or config) only words the error of a check that fails while building.
    instance = cls.__new__(cls)
    object.__setattr__(instance, "_source", source)
    instance.__init__(**values)
    return instance


def _plain_type(hint: Any) -> Any:
    """``Optional[int]`` -> int, ``list[str]`` -> list: what click and the checks need to know."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if typing.get_origin(hint) is typing.Union and len(args) == 1:
        return _plain_type(args[0])
    return typing.get_origin(hint) or hint


def _config_type(hint: Any) -> Any:
    """The field's type as OmegaConf takes it in a structured config (``list[str]`` as ``List[str]``)."""
    origin = typing.get_origin(hint)
    if origin is list:
        return typing.List[typing.get_args(hint)[0]]  # type: ignore[misc]
    if origin is dict:
        return typing.Dict[typing.get_args(hint)]  # type: ignore[misc]
    if origin is typing.Union:
        args = [_config_type(arg) for arg in typing.get_args(hint)]
        return typing.Optional[args[0]] if len(args) == 2 and type(None) in args else Any
    return hint


def is_unset(value: Any) -> bool:
    """A flag's value when it was not given: None, an unset switch (False) or no repeated values."""
    return value is None or value is False or value == ()


def quoted(text: str) -> str:
    """``text`` as a quoted string of Hydra's override grammar."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _override_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_override_value(item) for item in value) + "]"
    return quoted(str(value))


# -- checks shared by several backends ------------------------------------------------------------


def check_positive_seconds(value: Any) -> float:
    seconds = _number(value, float)
    if not math.isfinite(seconds) or seconds <= 0:
        raise OptionValueError("is not a time limit", "give a positive number of seconds, e.g. 600")
    return seconds


def check_count(value: Any) -> int:
    count = _number(value, int)
    if count < 0:
        raise OptionValueError("cannot be negative", "give 0 or more")
    return count


def _number(value: Any, kind: type) -> Any:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = kind(value)
        if kind is int and number != float(value):
            raise ValueError
        return number
    except (TypeError, ValueError):
        raise OptionValueError("is not a number", f"give a {'whole ' if kind is int else ''}number") from None
