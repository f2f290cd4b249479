"""How a task function reaches another process: by import, like ``multiprocessing`` does.

Task functions are usually not picklable as they are: ``@hydra.main`` replaces the
function in its module by a wrapper, scripts live in ``__main__``, and the task may be
bound to extra arguments. A :class:`TaskRef` names where the function is defined and how
it was made into a task; a worker imports it once and builds the same task function.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pickle
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from hydra_runner.errors import UsageError

__all__ = ["TaskRef"]

MAIN_ALIAS = "__mp_main__"


@dataclass(frozen=True)
class TaskRef:
    module: str
    qualname: str
    #: The script file when the function lives in ``__main__``.
    main_file: Optional[str] = None
    bind: bool = False
    task_kwargs: dict[str, Any] = field(default_factory=dict)
    #: The function pickled by value, when it cannot be imported by name.
    pickled: Optional[bytes] = None

    @classmethod
    def of(cls, fn: Callable[..., Any], *, bind: bool = False, task_kwargs: Optional[dict[str, Any]] = None) -> TaskRef:
        module = getattr(fn, "__module__", None) or ""
        qualname = getattr(fn, "__qualname__", "") or ""
        main_file = None
        if module == "__main__":
            main_file = getattr(sys.modules["__main__"], "__file__", None)
            main_file = os.path.abspath(main_file) if main_file else None
        # A callable instance (Hydra's test suites pass one) has its class's __module__ but no
        # __qualname__ of its own: it is sent by value, not looked up as ``module.""``.
        importable = (
            bool(module) and bool(qualname) and "<" not in qualname and (module != "__main__" or main_file is not None)
        )
        return cls(
            module=module,
            qualname=qualname,
            main_file=main_file,
            bind=bind,
            task_kwargs=dict(task_kwargs or {}),
            pickled=None if importable else _pickle_or_explain(fn),
        )

    @classmethod
    def for_task(cls, task_function: Callable[..., Any]) -> TaskRef:
        """The reference hydra-runner attached to ``task_function``, else one made from it."""
        make_ref = getattr(task_function, "__hydra_runner_task_ref__", None)
        return make_ref() if callable(make_ref) else cls.of(task_function)

    def load(self) -> Callable[[Any], Any]:
        from hydra_runner.task_call import make_task_function

        if self.pickled is not None:
            fn = pickle.loads(self.pickled)
        else:
            obj: Any = _load_main(self.main_file) if self.module == "__main__" else importlib.import_module(self.module)
            for part in self.qualname.split("."):
                obj = getattr(obj, part)
            fn = _unwrap_hydra_main(obj)
        return make_task_function(fn, bind=self.bind, task_kwargs=self.task_kwargs)


def _pickle_or_explain(fn: Callable[..., Any]) -> bytes:
    try:
        return dumps_by_value(fn)
    except Exception as e:
        name = getattr(fn, "__qualname__", repr(fn))
        raise UsageError(
            f"the task '{name}' must run in worker processes, but it can be neither imported nor pickled ({e})",
            fix="define the task function at the top level of a .py module, or run without -j/--jobs",
        ) from e


def dumps_by_value(obj: Any) -> bytes:
    """``pickle.dumps``, else cloudpickle's (closures, lambdas, local functions), as joblib sends tasks.

    What cloudpickle writes is read back by ``pickle.loads`` where cloudpickle is importable.
    """
    try:
        return pickle.dumps(obj)
    except Exception as error:
        try:
            import cloudpickle
        except ImportError:
            raise error from None
        return cloudpickle.dumps(obj)  # type: ignore[no-any-return]


_loaded_main: dict[str, Any] = {}


def _load_main(main_file: Optional[str]) -> Any:
    """The parent's script, imported as multiprocessing's spawn does (``__main__`` aliased)."""
    assert main_file is not None
    path = os.path.abspath(main_file)
    if path in _loaded_main:
        return _loaded_main[path]
    # multiprocessing may have imported it already when it started this process.
    existing = sys.modules.get(MAIN_ALIAS)
    if existing is not None and os.path.abspath(getattr(existing, "__file__", "") or "") == path:
        _loaded_main[path] = sys.modules["__main__"] = existing
        return existing
    spec = importlib.util.spec_from_file_location(MAIN_ALIAS, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Pickles made by the parent name classes of its script as __main__.X.
    sys.modules[MAIN_ALIAS] = sys.modules["__main__"] = module
    _loaded_main[path] = module
    spec.loader.exec_module(module)
    return module


def _unwrap_hydra_main(obj: Any) -> Any:
    from hydra_runner.target import _is_hydra_main

    while _is_hydra_main(obj):
        obj = obj.__wrapped__
    return obj
