"""How a task function reaches another process: by import, like ``multiprocessing`` does.

Task functions are usually not picklable as they are: ``@hydra.main`` replaces the
function in its module by a wrapper, scripts live in ``__main__``, and the task may be
bound to extra arguments. A :class:`TaskRef` names where the function is defined and how
it was made into a task; a worker imports it once and builds the same task function.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import importlib.util
import os
import pickle
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from hydra_runner.errors import UsageError

__all__ = ["TaskRef", "dumps_by_value", "main_script"]

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
        main_file = main_script() if module == "__main__" else None
        # A callable instance (Hydra's test suites pass one) has its class's __module__ but no
        # __qualname__ of its own: it is sent by value, not looked up as ``module.""``.
        importable = bool(module) and bool(qualname) and "<" not in qualname and (
            module != "__main__" or (main_file is not None and qualname.split(".")[0] in _top_level(main_file).names)
        )
        return cls(
            module=module,
            qualname=qualname,
            main_file=main_file,
            bind=bind,
            task_kwargs=dict(task_kwargs or {}),
            pickled=None if importable else _pickle_or_explain(fn, from_main=module == "__main__"),
        )

    @classmethod
    def for_task(cls, task_function: Callable[..., Any]) -> TaskRef:
        """The reference hydra-runner attached to ``task_function``, else one made from it."""
        make_ref = getattr(task_function, "__hydra_runner_task_ref__", None)
        return make_ref() if callable(make_ref) else cls.of(task_function)

    def load(self) -> Callable[[Any], Any]:
        from hydra_runner.tasks.call import make_task_function

        if self.pickled is not None:
            fn = pickle.loads(self.pickled)
        else:
            obj: Any = _load_main(self.main_file) if self.module == "__main__" else importlib.import_module(self.module)
            for part in self.qualname.split("."):
                obj = getattr(obj, part)
            fn = _unwrap_hydra_main(obj)
        return make_task_function(fn, bind=self.bind, task_kwargs=self.task_kwargs)


def _pickle_or_explain(fn: Callable[..., Any], *, from_main: bool) -> bytes:
    try:
        # Pickled by name, a function of __main__ that a worker cannot import would not be found there.
        return _cloudpickle_dumps(fn) if from_main else dumps_by_value(fn)
    except Exception as e:
        name = getattr(fn, "__qualname__", repr(fn))
        raise UsageError(
            f"the task '{name}' must run in worker processes, but it can be neither imported nor pickled ({e})",
            fix="define the task function at the top level of a .py module, or run without -j/--jobs",
        ) from e


def dumps_by_value(obj: Any, *, script_in_workers: bool = True) -> bytes:
    """``pickle.dumps``, else cloudpickle's (closures, lambdas, local functions), as joblib sends tasks.

    Pickle names what ``__main__`` defines, and a worker finds it only in the parent's script,
    imported as ``__mp_main__`` (``script_in_workers``), at its top level. Where it is not
    there (a notebook, ``python -c``, the body of ``if __name__ == "__main__":``, a script
    whose top level starts the sweep), cloudpickle sends it by value instead.
    What cloudpickle writes is read back by ``pickle.loads`` where cloudpickle is importable.
    """
    try:
        data = pickle.dumps(obj)
    except Exception as error:
        try:
            return _cloudpickle_dumps(obj)
        except ImportError:
            raise error from None
    if _names_what_workers_lack(data, script_in_workers):
        with contextlib.suppress(ImportError):
            return _cloudpickle_dumps(obj)
    return data


def _names_what_workers_lack(data: bytes, script_in_workers: bool) -> bool:
    # Pickle writes each global it refers to as its module's name and its own: cheap tests.
    if b"__main__" not in data:
        return False
    script = main_script() if script_in_workers else None
    if script is None:
        return True
    top_level = _top_level(script).names
    return any(
        name.encode() in data
        for name, value in vars(sys.modules["__main__"]).items()
        if isinstance(value, (type, types.FunctionType)) and value.__module__ == "__main__" and name not in top_level
    )


def _cloudpickle_dumps(obj: Any) -> bytes:
    import cloudpickle

    return cloudpickle.dumps(obj)  # type: ignore[no-any-return]


def main_script() -> Optional[str]:
    """The parent's script, if a worker can import it as multiprocessing's spawn does.

    None for a notebook, ``python -c`` or ``python -`` (no file), and for a script whose top
    level, outside ``if __name__ == "__main__":``, is what is starting the sweep: importing
    it in a worker would start the sweep again.
    """
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path or not os.path.isfile(path):
        return None
    path = os.path.abspath(path)
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "<module>" and os.path.abspath(code.co_filename) == path:
            if not any(frame.f_lineno in lines for lines in _top_level(path).guarded):
                return None
        frame = frame.f_back  # type: ignore[assignment]
    return path


@dataclass(frozen=True)
class _TopLevel:
    """What importing a script defines: the names bound outside its ``__main__`` guards, and where those are."""

    names: frozenset[str]
    guarded: tuple[range, ...]


@functools.lru_cache(maxsize=8)
def _top_level_of(path: str, mtime: float) -> _TopLevel:
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return _TopLevel(frozenset(), ())
    names: set[str] = set()
    guarded: list[range] = []

    def visit(body: list[Any]) -> None:
        for node in body:
            if isinstance(node, ast.If) and _is_main_guard(node.test):
                guarded.append(range(node.lineno, (node.body[-1].end_lineno or node.lineno) + 1))
                visit(node.orelse)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
            else:  # if / try / with / for blocks run on import too
                for block in ("body", "handlers", "orelse", "finalbody"):
                    visit(getattr(node, block, []))

    visit(tree.body)
    return _TopLevel(frozenset(names), tuple(guarded))


def _top_level(path: str) -> _TopLevel:
    return _top_level_of(path, os.path.getmtime(path))


def _is_main_guard(test: Any) -> bool:
    """``__name__ == "__main__"``, either way round, alone or in an ``and``."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_is_main_guard(value) for value in test.values)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = {ast.dump(test.left), ast.dump(test.comparators[0])}
    return sides == {ast.dump(ast.Name("__name__", ast.Load())), ast.dump(ast.Constant("__main__"))}


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
    from hydra_runner.tasks.locate import _is_hydra_main

    while _is_hydra_main(obj):
        obj = obj.__wrapped__
    return obj
