"""Shared machinery for the differential tests.

A :class:`Case` describes a small Hydra project (files, app, command line).
:class:`Project` materialises it in a temporary directory, runs it once
through plain Hydra (``python app.py ...``) and once through hydra-runner
(``python -m hydra_runner run|multirun app.py ...``) in the *same* directory,
and returns normalised :class:`Observation` objects that can be compared.

Set ``DIFF_SELF_CHECK=1`` to run plain Hydra on both sides (exercises the
harness itself without needing hydra-runner).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from hydra_runner._compat import HYDRA_1_4  # noqa: F401  (cases whose plain Hydra outcome is version-specific)
from hydra_runner.jobs.runner import CONSOLE_LOG
from hydra_runner.journal import JOURNAL_FILE
from hydra_runner.journal.meta import PATCH_FILE, RUN_RECORD

TIMEOUT = 120
SELF_CHECK = os.environ.get("DIFF_SELF_CHECK", "") not in ("", "0", "false", "no")

OK = "ok"
CONFIG_ERROR = "config_error"  # composition / override / validation failure
TASK_ERROR = "task_error"  # the task function itself raises
ERROR = "error"  # any other failure (e.g. raised by Hydra while running the job)

RUNNER_CONFIG_ERROR_RC = 2
MARKER = "@@DIFF@@ "

# --------------------------------------------------------------------------
# The app under test
# --------------------------------------------------------------------------

_OMIT = "<omit>"

_APP_TEMPLATE = '''\
import json
import logging
import os

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

log = logging.getLogger(__name__)

__PREAMBLE__


def _user(cfg):
__BODY__


def _sel(node, key):
    try:
        return OmegaConf.select(node, key, default="<unset>")
    except Exception as exc:
        return "<error " + type(exc).__name__ + ">"


def _rel(path):
    return os.path.relpath(os.path.abspath(str(path)), os.environ["DIFF_PROJECT"])


def _record(cfg, ret, exc):
    hc = HydraConfig.get()
    rec = {}
    rec["cfg"] = OmegaConf.to_container(cfg, resolve=False)
    try:
        rec["resolved"] = OmegaConf.to_container(cfg, resolve=True)
    except Exception as err:
        rec["resolved"] = "%s: %s" % (type(err).__name__, err)
    typ = OmegaConf.get_type(cfg)
    rec["type"] = getattr(typ, "__name__", repr(typ))
    rec["job"] = {
        k: _sel(hc, "job." + k)
        for k in ("name", "num", "id", "override_dirname", "config_name", "chdir")
    }
    rec["choices"] = OmegaConf.to_container(hc.runtime.choices)
    rec["mode"] = str(hc.mode)
    rec["overrides"] = {
        "hydra": list(hc.overrides.hydra),
        "task": list(hc.overrides.task),
    }
    rec["dirs"] = {k: _sel(hc, k) for k in ("run.dir", "sweep.dir", "sweep.subdir")}
    rec["output_dir"] = _rel(hc.runtime.output_dir)
    rec["cwd"] = _rel(os.getcwd())
    rec["env"] = {k: v for k, v in sorted(os.environ.items()) if k.startswith("DIFF_ENV_")}
    rec["ret"] = repr(ret)
    rec["exc"] = None if exc is None else "%s: %s" % (type(exc).__name__, exc)
    with open(os.environ["DIFF_RECORD"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec, default=repr, sort_keys=True) + "\\n")


@hydra.main(__MAIN_ARGS__)
def main(cfg):
    ret, exc = None, None
    try:
        ret = _user(cfg)
    except Exception as err:
        exc = err
    _record(cfg, ret, exc)
    log.info("job finished: %r", ret)
    log.debug("debug detail for %s", HydraConfig.get().job.name)
    print(__MARKER__ + repr(ret), flush=True)
    if exc is not None:
        raise exc
    return ret


if __name__ == "__main__":
    main()
'''

_DEFAULT_BODY = 'return "keys=%s x=%s" % (sorted(str(k) for k in cfg.keys()), OmegaConf.select(cfg, "x", default="-"))'


@dataclass(frozen=True)
class App:
    """The ``@hydra.main`` application file of a case."""

    config_path: str | None = "conf"
    config_name: str | None = "config"
    #: ``None`` / ``"1.1"`` / ``"1.3"``; ``OMIT_VERSION_BASE`` leaves it out.
    version_base: str | None = None
    #: Module-level code (resolvers, dataclasses, ConfigStore registrations).
    preamble: str = ""
    #: Body of ``_user(cfg)``; its return value is recorded.  May raise.
    body: str = _DEFAULT_BODY
    filename: str = "app.py"

    def render(self) -> str:
        args = [f"config_path={self.config_path!r}", f"config_name={self.config_name!r}"]
        if self.version_base != _OMIT:
            args.append(f"version_base={self.version_base!r}")
        return (
            _APP_TEMPLATE.replace("__PREAMBLE__", textwrap.dedent(self.preamble).strip())
            .replace("__BODY__", textwrap.indent(textwrap.dedent(self.body).strip(), "    "))
            .replace("__MAIN_ARGS__", ", ".join(args))
            .replace("__MARKER__", repr(MARKER))
        )


OMIT_VERSION_BASE = _OMIT


@dataclass(frozen=True)
class Case:
    """One differential scenario (data only)."""

    id: str
    files: Mapping[str, str]
    overrides: Sequence[str] = ()
    multirun: bool = False
    #: Command-line flags given to both tools (``--config-name x`` ...).
    flags: Sequence[str] = ()
    app: App = App()
    expect: str = OK
    #: Compare the complete (normalised) stdout, e.g. for ``--cfg``.
    compare_stdout: bool = False
    #: Extra environment variables for both tools.
    env: Mapping[str, str] = field(default_factory=dict)
    #: Texts (e.g. warnings) plain Hydra prints to stderr that hydra-runner
    #: must print too.
    shared_stderr: Sequence[str] = ()
    #: Flags given to hydra-runner only (``-j 2``: the same sweep on the process pool).
    runner_flags: Sequence[str] = ()

    def __str__(self) -> str:  # pragma: no cover - used in ids
        return self.id


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

# Also within ``2024-01-31_12-00-00`` (``${now:%Y-%m-%d}_${now:%H-%M-%S}``, as templates name dirs).
_DATE_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?=\b|_)")
_TIME_RE = re.compile(r"(?:\b|(?<=_))\d{2}-\d{2}-\d{2}\b")
_SCRIPT_LOGGER_RE = re.compile(r"\]\[(__main__|app|src\.train)\]\[")
_CLOCK_RE = re.compile(r"\b\d{2}:\d{2}:\d{2}(,\d{3})?\b")


def normalise(text: str, root: Path) -> str:
    """Replace the project root and any timestamps by stable placeholders."""
    for r in {str(root), os.path.realpath(root)}:
        text = text.replace(r, "<ROOT>")
    text = _DATE_RE.sub("<DATE>", text)
    text = _TIME_RE.sub("<TIME>", text)
    text = _CLOCK_RE.sub("<CLOCK>", text)
    # Log lines name the script's logger (`__main__` for `python app.py`).  The
    # logger name is deliberately not compared here; the module name the task
    # runs under is checked on its own by the `script_module_name` and
    # `verbose_main_logger` cases.
    text = _SCRIPT_LOGGER_RE.sub("][<APP>][", text)
    return text


# A traceback's frames in Hydra's and hydra-runner's own code: which of them lead into the task
# differs by design (Hydra 1.4 logs a failed job's traceback to its log file); the task's frames
# and the exception are compared.
_INTERNAL_FRAME_RE = re.compile(
    r'^  File "[^"]*/(?:hydra|hydra_runner)/[^"]*", line \d+, in .*\n(?:    .*\n)?(?:    [ ^~]*\n)?', re.MULTILINE)


def without_internal_frames(text: str) -> str:
    return _INTERNAL_FRAME_RE.sub("", text)


# Files whose content is compared; every other produced file only by path.
_CONTENT_SUFFIXES = (".yaml", ".log")

# --------------------------------------------------------------------------
# Error message extraction
# --------------------------------------------------------------------------

_WARNING_HEAD = re.compile(r"^\S.*:\d+: \w*Warning: ")
_WRAPPER_LINES = (
    "Error executing job with overrides",
    "Error merging override",
    "Set the environment variable HYDRA_FULL_ERROR",
)
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*): (.+)$")


def _strip_warnings(stderr: str) -> list[str]:
    out: list[str] = []
    in_warning = False
    for line in stderr.splitlines():
        if _WARNING_HEAD.match(line):
            in_warning = True
            continue
        if in_warning:
            # A warning ends with the indented source line that triggered it.
            if line.startswith("  "):
                in_warning = False
            continue
        out.append(line)
    return out


def hydra_error_key(stderr: str) -> str:
    """The distinctive first line of the exception message plain Hydra printed."""
    lines = _strip_warnings(stderr)
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        for line in reversed(lines):
            m = _EXC_LINE.match(line.strip())
            if m and not line.startswith(" "):
                return m.group(2).strip()
    for line in lines:
        s = line.strip()
        if not s or s.startswith(_WRAPPER_LINES):
            continue
        return s
    return ""


def _squash(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


@dataclass
class Observation:
    tool: str
    root: Path
    argv: list[str]
    rc: int
    stdout: str
    stderr: str
    records: list[dict]
    markers: list[str]
    files: dict[str, str | None]


def hydra_argv(case: Case) -> list[str]:
    argv = [sys.executable, case.app.filename]
    if case.multirun:
        argv.append("--multirun")
    return argv + list(case.flags) + list(case.overrides)


def runner_argv(case: Case) -> list[str]:
    if SELF_CHECK:
        return hydra_argv(case)
    return [
        sys.executable,
        "-m",
        "hydra_runner",
        "multirun" if case.multirun else "run",
        case.app.filename,
        *case.flags,
        *case.runner_flags,
        *case.overrides,
    ]


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    """Write ``{relative path: text}`` below ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _walk(root: Path) -> set[str]:
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found


class Project:
    """A temporary project directory shared by both tools."""

    def __init__(self, root: Path, record: Path) -> None:
        self.root = root
        self.record = record
        self._initial: set[str] = set()
        self._initial_dirs: set[str] = set()

    def write(self, case: Case) -> None:
        files = dict(case.files)
        files.setdefault(case.app.filename, case.app.render())
        write_tree(self.root, files)
        self._initial = _walk(self.root)
        self._initial_dirs = {
            os.path.relpath(d, self.root)
            for d, _, _ in os.walk(self.root)
            if os.path.basename(d) != "__pycache__"
        }

    def reset(self) -> None:
        """Remove everything the previous run produced."""
        if self.record.exists():
            self.record.unlink()
        for rel in _walk(self.root) - self._initial:
            (self.root / rel).unlink()
        for dirpath, _, _ in sorted(os.walk(self.root), reverse=True):
            rel = os.path.relpath(dirpath, self.root)
            if rel != "." and rel not in self._initial_dirs:
                shutil.rmtree(dirpath, ignore_errors=True)

    def _env(self, case: Case) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("HYDRA_FULL_ERROR", "DIFF_SELF_CHECK") and not k.startswith("DIFF_ENV_")
        }
        env.update(
            DIFF_PROJECT=str(self.root),
            DIFF_RECORD=str(self.record),
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONUNBUFFERED="1",
            NO_COLOR="1",
            COLUMNS="200",
        )
        env.update(case.env)
        return env

    def run(self, tool: str, case: Case) -> Observation:
        self.reset()
        argv = hydra_argv(case) if tool == "hydra" else runner_argv(case)
        proc = subprocess.run(
            argv,
            cwd=self.root,
            env=self._env(case),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        records = []
        if self.record.exists():
            for line in self.record.read_text().splitlines():
                if line.strip():
                    records.append(json.loads(normalise(line, self.root)))
        if case.multirun:
            records.sort(key=lambda r: (not isinstance(r["job"]["num"], int), r["job"]["num"]))
        markers = [
            normalise(line[len(MARKER):], self.root)
            for line in proc.stdout.splitlines()
            if line.startswith(MARKER)
        ]
        if case.multirun:
            markers.sort()
        files: dict[str, str | None] = {}
        for rel in sorted(_walk(self.root) - self._initial):
            top = rel.split(os.sep, 1)[0]
            if top.startswith("."):
                continue  # tool-private caches at the project top level
            if os.path.basename(rel).startswith(JOURNAL_FILE):
                continue  # hydra-runner's sweep journal (and its WAL files), an addition of its own
            if os.path.basename(rel) in (RUN_RECORD, PATCH_FILE):
                continue  # what hydra-runner records of the code a run ran, another addition
            if tool != "hydra" and case.runner_flags and os.path.basename(rel) == CONSOLE_LOG:
                continue  # a pool worker's copy of the job's output, another addition
            content = None
            if rel.endswith(_CONTENT_SUFFIXES):
                content = normalise((self.root / rel).read_text(errors="replace"), self.root)
                if rel.endswith(".log"):
                    content = without_internal_frames(content)
            files[normalise(rel, self.root)] = content
        return Observation(
            tool=tool,
            root=self.root,
            argv=argv,
            rc=proc.returncode,
            stdout=proc.stdout,
            stderr=proc.stderr,
            records=records,
            markers=markers,
            files=files,
        )


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------


def _dump(obj: object) -> list[str]:
    return json.dumps(obj, indent=1, sort_keys=True, default=repr).splitlines()


def _diff(label: str, ref: object, got: object, limit: int = 60) -> str:
    a = ref.splitlines() if isinstance(ref, str) else _dump(ref)
    b = got.splitlines() if isinstance(got, str) else _dump(got)
    lines = list(difflib.unified_diff(a, b, "hydra", "hydra-runner", lineterm="", n=2))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return f"--- {label} differs:\n" + "\n".join(lines)


_LAUNCHER_OVERRIDES = ("hydra/launcher=", "hydra.launcher.")


def _without_launcher_choice(choices: dict, overrides: list) -> None:
    choices.pop("hydra/launcher", None)
    overrides[:] = [line for line in overrides if not line.startswith(_LAUNCHER_OVERRIDES)]


def _yaml_without_launcher(text: str | None) -> str | None:
    import yaml

    doc = yaml.safe_load(text) if text else None
    hydra = doc.get("hydra") if isinstance(doc, dict) else None
    if not isinstance(hydra, dict):
        return text
    hydra.pop("launcher", None)
    _without_launcher_choice(hydra["runtime"]["choices"], hydra["overrides"]["hydra"])
    return yaml.safe_dump(doc, sort_keys=False)


def without_launcher(obs: Observation) -> Observation:
    """``obs`` with the launcher's settings and choice taken out of every job's hydra config.

    A sweep run with ``-j`` on the pool differs from Hydra's on the launcher by design and
    must agree on everything else; its jobs print to their ``console.log``, not to stdout.
    """
    records = copy.deepcopy(obs.records)
    for rec in records:
        _without_launcher_choice(rec["choices"], rec["overrides"]["hydra"])
    files = {rel: _yaml_without_launcher(text) if rel.endswith(".yaml") else text for rel, text in obs.files.items()}
    markers = list(obs.markers)
    if obs.tool != "hydra":
        for log in sorted(obs.root.rglob(CONSOLE_LOG)):
            markers += [normalise(line[len(MARKER):], obs.root)
                        for line in log.read_text().splitlines() if line.startswith(MARKER)]
        markers.sort()
    return dataclasses.replace(obs, records=records, files=files, markers=markers)


def compare(case: Case, ref: Observation, got: Observation) -> list[str]:
    """Return a list of human readable problems (empty when equivalent)."""
    problems: list[str] = []
    if case.runner_flags:
        ref, got = without_launcher(ref), without_launcher(got)
    expected_ok = case.expect == OK
    if (ref.rc == 0) != expected_ok:
        problems.append(
            f"case expectation {case.expect!r} does not hold for plain Hydra "
            f"(rc={ref.rc}); stderr:\n{ref.stderr[-2000:]}"
        )
    if (ref.rc == 0) != (got.rc == 0):
        problems.append(
            f"exit status differs: hydra rc={ref.rc}, hydra-runner rc={got.rc}\n"
            f"hydra-runner stderr (tail):\n{got.stderr[-1500:]}"
        )
    if ref.rc != 0 and got.rc != 0:
        key = hydra_error_key(ref.stderr)
        if not key:
            problems.append(f"could not extract Hydra's error message from:\n{ref.stderr}")
        elif _squash(key) not in _squash(got.stderr):
            problems.append(
                f"Hydra's error message {key!r} not found in hydra-runner stderr:\n"
                f"{got.stderr[-1500:]}"
            )
        if case.expect == CONFIG_ERROR and not SELF_CHECK and got.rc != RUNNER_CONFIG_ERROR_RC:
            problems.append(
                f"hydra-runner should exit with {RUNNER_CONFIG_ERROR_RC} on a config error, got {got.rc}"
            )
    for label in ("records", "markers", "files"):
        a, b = getattr(ref, label), getattr(got, label)
        if label == "files" and case.expect == CONFIG_ERROR and case.multirun:
            # By design: a sweep whose config does not compose is refused before its sweep dir
            # exists, where Hydra writes multirun.yaml first (docs/architecture.md).
            a = {rel: content for rel, content in a.items() if not rel.endswith("/multirun.yaml")}
        if a != b:
            if label == "files" and set(a) != set(b):
                problems.append(_diff("set of produced files", sorted(a), sorted(b)))
                continue
            if label == "files":
                for rel in sorted(a):
                    if a[rel] != b[rel]:
                        problems.append(_diff(f"content of {rel}", a[rel] or "", b[rel] or ""))
                continue
            problems.append(_diff(label, a, b))
    for text in case.shared_stderr:
        if text not in ref.stderr:
            problems.append(f"plain Hydra did not print {text!r} to stderr (bad case)")
        elif text not in got.stderr:
            problems.append(f"hydra-runner did not print {text!r} to stderr like Hydra does")
    if case.compare_stdout:
        a, b = normalise(ref.stdout, ref.root), normalise(got.stdout, got.root)
        if a != b:
            problems.append(_diff("stdout", a, b))
    return problems


def run_case(case: Case, project: Project) -> tuple[Observation, Observation]:
    project.write(case)
    ref = project.run("hydra", case)
    got = project.run("hydra-runner", case)
    return ref, got


def check(case: Case, project: Project) -> None:
    ref, got = run_case(case, project)
    problems = compare(case, ref, got)
    if problems:
        header = (
            f"[{case.id}] hydra-runner differs from plain Hydra\n"
            f"  hydra:        {' '.join(ref.argv[1:])}\n"
            f"  hydra-runner: {' '.join(got.argv[1:])}\n"
        )
        raise AssertionError(header + "\n\n".join(problems))
