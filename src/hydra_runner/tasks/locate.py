"""Turning what the user names (``src.train``, ``src/train.py``, ``pkg.mod:fn``) into a task.

A directory names the one Python file in it that declares a ``@hydra.main`` (``train.py``
first), so an experiment directory such as ``experiments/002-larger-model`` is a TARGET.

A ``@hydra.main`` function carries its ``config_path`` and ``config_name`` in its closure
and the original function in ``__wrapped__``; a plain ``function(cfg)`` carries nothing
and takes its config from the command line or the API call.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Optional

from hydra_runner import _compat
from hydra_runner.errors import TargetError

__all__ = ["UNSET", "TaskSpec", "hydra_main_file", "resolve_target", "task_spec_from_function"]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""``version_base`` not given: Hydra's own default applies."""


@dataclass
class TaskSpec:
    """A task function and where its config comes from."""

    function: Callable[..., Any]
    config_path: Optional[str]
    config_name: Optional[str]
    version_base: Any
    task_name: str
    source_file: Optional[str]
    decorated: bool

    @property
    def label(self) -> str:
        return f"{self.function.__module__}:{getattr(self.function, '__qualname__', self.function)}"


def _is_hydra_main(obj: Any) -> bool:
    code = getattr(obj, "__code__", None)
    return (
        callable(obj)
        and hasattr(obj, "__wrapped__")
        and code is not None
        and code.co_name == "decorated_main"
        and code.co_filename.endswith(os.path.join("hydra", "main.py"))
    )


def _closure(fn: Any) -> dict[str, Any]:
    cells = fn.__closure__ or ()
    return {name: cell.cell_contents for name, cell in zip(fn.__code__.co_freevars, cells)}


def _version_base_from_source(fn: Any) -> Any:
    """The literal ``version_base=`` of the ``@hydra.main`` decorating ``fn``, if written so."""
    try:
        tree = ast.parse(inspect.getsource(inspect.getmodule(fn)))  # type: ignore[arg-type]
    except (OSError, TypeError, SyntaxError):
        return UNSET
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == fn.__name__:
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call):
                    for kw in deco.keywords:
                        if kw.arg == "version_base":
                            try:
                                return ast.literal_eval(kw.value)
                            except ValueError:
                                return UNSET
                    return _compat.UNSPECIFIED_VERSION_BASE
    return UNSET


def task_spec_from_function(
    fn: Callable[..., Any], *, version_base: Any = UNSET, task_name: Optional[str] = None
) -> TaskSpec:
    """A spec for ``fn``: a ``@hydra.main`` function (unwrapped) or a plain ``function(cfg)``."""
    source = inspect.getsourcefile(fn) if not isinstance(fn, type) else None
    if _is_hydra_main(fn):
        cells = _closure(fn)
        original = fn.__wrapped__  # type: ignore[attr-defined]
        if version_base is UNSET:
            version_base = _version_base_from_source(original)
        source = inspect.getsourcefile(original) or source
        return TaskSpec(
            function=original,
            config_path=cells.get("config_path"),
            config_name=cells.get("config_name"),
            version_base=version_base,
            task_name=task_name or (Path(source).stem if source else original.__name__),
            source_file=source,
            decorated=True,
        )
    name = task_name or getattr(fn, "__name__", "")
    if not name.isidentifier():  # lambdas, partials
        name = Path(source).stem if source else "task"
    return TaskSpec(fn, None, None, version_base, name, source, decorated=False)


def _import_file(path: Path, project_root: Path) -> ModuleType:
    path = path.resolve()
    script_dir = str(path.parent)
    if script_dir not in sys.path:
        # `python dir/app.py` puts dir/ first on sys.path; sibling imports rely on it.
        sys.path.insert(0, script_dir)
    try:
        relative = path.with_suffix("").relative_to(project_root.resolve())
        module_name = ".".join(relative.parts)
    except ValueError:
        module_name = path.stem
    if module_name.isidentifier() or all(part.isidentifier() for part in module_name.split(".")):
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if not _is_part_of(e.name, module_name):
                raise
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot import '{path}' as Python code", fix="name a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _is_part_of(missing: Optional[str], module: str) -> bool:
    """Is the module that was not found ``module`` itself or a package on its path (not one it imports)?"""
    return bool(missing) and (module == missing or module.startswith(f"{missing}."))


def _declares_hydra_main(path: Path) -> bool:
    # Read, not imported: importing every file of a directory would run their code.
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return False
    aliases = {
        alias.asname or alias.name
        for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "hydra"
        for alias in node.names if alias.name == "main"
    }
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                func = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(func) == "hydra.main" or (isinstance(func, ast.Name) and func.id in aliases):
                    return True
    return False


def hydra_main_file(directory: Path) -> Path:
    """The Python file in ``directory`` that declares a ``@hydra.main``: ``train.py`` if it does, else the only one.

    >>> hydra_main_file(Path("experiments/002-larger-model"))  # doctest: +SKIP
    PosixPath('experiments/002-larger-model/train.py')
    """
    found = [path for path in sorted(directory.glob("*.py")) if _declares_hydra_main(path)]
    preferred = directory / "train.py"
    if preferred in found:
        return preferred
    if len(found) == 1:
        return found[0]
    if not found:
        raise TargetError(
            f"directory '{directory}' has no Python file with a @hydra.main",
            fix="decorate its entry point with @hydra.main, or name a plain function: dir/app.py:function",
        )
    names = ", ".join(path.name for path in found)
    raise TargetError(
        f"directory '{directory}' has several Python files with a @hydra.main: {names}",
        fix=f"name one: {directory / found[0].name}",
    )


def _import(module_or_file: str, project_root: Path) -> ModuleType:
    as_path = Path(module_or_file)
    # A directory that is not a dotted module path (``experiments/002-x``) names its entry file.
    if as_path.is_dir() and not all(part.isidentifier() for part in module_or_file.split(".")):
        return _import_file(hydra_main_file(as_path), project_root)
    if module_or_file.endswith(".py") or os.sep in module_or_file or "/" in module_or_file:
        path = Path(module_or_file)
        if not path.is_file():
            raise TargetError(
                f"file '{module_or_file}' not found (from {project_root})",
                fix="give a path relative to the project root, or a module path such as src.train",
            )
        return _import_file(path, project_root)
    try:
        return importlib.import_module(module_or_file)
    except ModuleNotFoundError as e:
        if _is_part_of(e.name, module_or_file):
            hint = module_or_file.replace(".", "/") + ".py"
            raise TargetError(
                f"no module named '{e.name}' (looked in {project_root} and the installed packages)",
                fix=f"run from the project root so that {hint} exists, or name the file directly",
            ) from e
        raise


# Packages whose name on the package index is not the name they are imported by.
_DISTRIBUTIONS = {"cv2": "opencv-python", "PIL": "pillow", "sklearn": "scikit-learn", "skimage": "scikit-image",
                  "yaml": "pyyaml"}


def _import_failed(module_part: str, error: ImportError, root: Path) -> TargetError:
    """The target's module imports something that is not there: which import, and how to get it."""
    here = _failing_import(error, root)
    where = f"{_relative(here.filename, root)}:{here.lineno}"
    if isinstance(error, ModuleNotFoundError) and error.name:
        fix = _fix_missing_module(error.name, Path(here.filename), root, where)
    else:
        fix = f"check the import at {where}: the installed package may be another version than the code expects"
    return TargetError(
        f"{module_part} could not be imported: {error}",
        detail=f"{where}: {here.line}" if here.line else where,
        fix=fix,
    )


def _fix_missing_module(missing: str, importer: Path, root: Path, where: str) -> str:
    top = missing.partition(".")[0]
    if importer.parent != root and _has_module(importer.parent, top):
        file = _relative(str(importer), root)
        # `python src/train.py` finds src/model.py through sys.path[0]; a module TARGET has no such entry.
        return (f"'{top}' is beside {file}: name the file as TARGET ({file}), which puts its directory on "
                f"sys.path as python {file} does, or import it from the project root")
    if _has_module(root, top):
        return f"the project has no '{missing}': correct the import at {where}"
    package = _DISTRIBUTIONS.get(top, top)
    from hydra_runner._install import install_command

    return (f"install {package} into the environment the task runs in: {install_command(package)}, "
            "or add it to the project's dependencies")


def _has_module(directory: Path, name: str) -> bool:
    return (directory / name).is_dir() or (directory / f"{name}.py").is_file()


def _failing_import(error: ImportError, root: Path) -> traceback.FrameSummary:
    """The import statement that failed: the innermost one in the project's code, else the innermost one."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith("<")]
    own = [f for f in frames if _relative(f.filename, root) != f.filename and "site-packages" not in f.filename]
    return (own or frames)[-1]


def _relative(path: str, root: Path) -> str:
    relative = os.path.relpath(path, root)
    return path if relative.startswith("..") else relative


def _find_task(module: ModuleType) -> Callable[..., Any]:
    mains = [
        obj for obj in vars(module).values()
        if _is_hydra_main(obj) and getattr(obj.__wrapped__, "__module__", None) == module.__name__
    ]
    if len(mains) == 1:
        return mains[0]
    if len(mains) > 1:
        names = ", ".join(sorted(f.__name__ for f in mains))
        raise TargetError(
            f"module '{module.__name__}' has several @hydra.main functions: {names}",
            fix=f"name one: {module.__name__}:{mains[0].__name__}",
        )
    main = getattr(module, "main", None)
    if callable(main):
        return main  # type: ignore[no-any-return]
    raise TargetError(
        f"module '{module.__name__}' has no task function",
        fix=f"decorate one with @hydra.main, define main(cfg), or name it: {module.__name__}:my_function",
    )


def _syntax_error(e: SyntaxError) -> TargetError:
    where = f"{e.filename}:{e.lineno}" if e.filename else "the target"
    line = (e.text or "").rstrip("\n")
    detail = f"{line}\n{' ' * max((e.offset or 1) - 1, 0)}^" if line else None
    return TargetError(f"{where}: {e.msg}", fix=f"correct the line in {e.filename or 'the file'}", detail=detail)


def _raised_at_import(module_part: str, e: Exception) -> TargetError:
    """What importing the target raised, told by the frames of the user's own code (not importlib's)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if "importlib" not in f.filename and f"{os.sep}hydra_runner{os.sep}" not in f.filename]
    detail = "".join(traceback.format_list(frames)).rstrip() or None
    last = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return TargetError(f"importing '{module_part}' raised {type(e).__name__}: {e}",
                       fix=f"correct what the module runs when imported{last}; --verbose shows the whole traceback",
                       detail=detail)


def resolve_target(target: str, project_root: Optional[Path] = None) -> TaskSpec:
    """Import ``target`` and find its task function.

    ``target`` is a module path (``src.train``), a file (``src/train.py``), or either
    followed by ``:function``. The project root goes on ``sys.path`` first.
    """
    root = (project_root or Path.cwd()).resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module_part, _, function_name = target.partition(":")
    if not module_part:
        raise TargetError(f"'{target}' names no module or file", fix="write module:function or file.py:function")
    try:
        module = _import(module_part, root)
    except TargetError:
        raise
    except ImportError as e:  # ModuleNotFoundError too: what the target's own imports need
        raise _import_failed(module_part, e, root) from e
    except SyntaxError as e:
        raise _syntax_error(e) from e
    except Exception as e:
        raise _raised_at_import(module_part, e) from e
    if function_name:
        fn = getattr(module, function_name, None)
        if fn is None or not callable(fn):
            candidates = sorted(
                n for n, o in vars(module).items() if inspect.isfunction(o) and o.__module__ == module.__name__
            )
            raise TargetError(
                f"module '{module.__name__}' has no function '{function_name}'",
                fix=f"choose one of: {', '.join(candidates)}" if candidates else "check the name",
            )
    else:
        fn = _find_task(module)
    return task_spec_from_function(fn)
