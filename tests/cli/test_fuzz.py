"""Hundreds of bad inputs, each of which must end in a clear error: exit 2, no traceback, a fix, nothing written.

The inputs are generated across the override grammar, keys and values, the flags, config files,
targets, journals and output dirs, against one small project. Each runs as the CLI in a
process of its own (``_fuzz_driver``); the project's files are compared before and after.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from hydra_runner.testing.project import VERSION_BASE_DEPRECATION, Project

DRIVER = Path(__file__).with_name("_fuzz_driver.py")
APP = ["app:task", "--config-path", "conf", "--config-name", "config"]

FILES = {
    "app.py": """
        from dataclasses import dataclass, field
        from typing import Any

        from hydra.core.config_store import ConfigStore

        @dataclass
        class Optimizer:
            lr: float = 0.1
            momentum: float = 0.9

        @dataclass
        class Config:
            seed: int = 0
            epochs: int = 3
            name: str = "run"
            optimizer: Optimizer = field(default_factory=Optimizer)
            model: Any = None

        ConfigStore.instance().store(name="schema", node=Config)
        CONST = 3

        def task(cfg):
            return cfg.seed
        """,
    "conf/config.yaml": "defaults:\n  - schema\n  - model: linear\n  - _self_\nseed: 0\n",
    "conf/model/linear.yaml": "kind: linear\nwidth: 1\n",
    "conf/model/mlp.yaml": "kind: mlp\nwidth: 8\n",
    "conf/model/broken.yaml": "kind: [mlp\n",
    "conf/bad_flow.yaml": "a: [1\n",
    "conf/bad_mapping.yaml": "a: b: c\n",
    "conf/bad_tabs.yaml": "a:\n\tb: 1\n",
    "conf/bad_duplicate.yaml": "a: 1\na: 2\n",
    "conf/bad_missing_default.yaml": "defaults:\n  - model: nope\n",
    "conf/bad_defaults_type.yaml": "defaults: 5\n",
    "conf/bad_defaults_entry.yaml": "defaults:\n  - 5\n",
    "conf/bad_top_list.yaml": "- 1\n- 2\n",
    "conf/bad_self_twice.yaml": "defaults:\n  - _self_\n  - _self_\n",
    "conf/bad_unknown_group.yaml": "defaults:\n  - nogroup: x\n",
    "conf/bad_override_missing.yaml": "defaults:\n  - override model: mlp\n",
    "syn.py": "def task(cfg:\n    return 1\n",
    "boom.py": "raise RuntimeError('broken at import')\n\ndef task(cfg):\n    return 1\n",
    "missing_dep.py": "import not_a_real_package_xyz\n\ndef task(cfg):\n    return 1\n",
    "needs.py": "def task(cfg, other, *, more):\n    return 1\n",
    "noparam.py": "def task():\n    return 1\n",
    "notes.txt": "not python\n",
    "afile": "a file, not a dir\n",
}

GRAMMAR = [
    "x=[1,2", "x={a:1", "x=choice(", "x=choice()", "x=range(1,)", "x=range(a,b)", "x=1)", "x='abc", 'x="abc',
    "x=${", "@x=1", "x@=1", ".x=1", "x..y=1", "x.=1", "=1", "==1", "+=1", "++=1", "~", "x=glob(", "x=sort(",
    "x=tag(", "x=shuffle(1,2,seed=)", "x=interval(1)", "x=[", "x=]", "x={", "x=}", "x=(", "x=)", "x=,", "x=1,,2",
    "x=\\", "/x=1", "x=[1,[2]", "x={a:{b:1}", "x=choice(1,2", "x=range(", "x=interval(", "x=tag(log,", "seed=[1,2",
    "model=[", "+model=(", "~model=(", "x=f(1)", "x=1)2", "x=[1]]", "optimizer.lr=interval(0.1,",
]

KEYS = {"model": "mlp", "optimizer.lr": "0.2", "seed": "3", "epochs": "5", "optimizer.momentum": "0.5", "name": "x"}


def _misspellings(key: str) -> Iterator[str]:
    last = key.rpartition(".")[2]
    head = key[: len(key) - len(last)]
    yield head + last[:-1]  # a letter dropped
    yield head + last[1] + last[0] + last[2:]  # two swapped
    yield head + last + last[-1]  # one doubled


def _key_cases() -> list[list[str]]:
    cases = [[f"{typo}={value}"] for key, value in KEYS.items() for typo in _misspellings(key)]
    cases += [["model=resnet"], ["model=Linear"], ["model=mlp2"], ["model=broken"], ["nogroup=x"],
              ["seed=abc"], ["seed=1.5"], ["seed=[1]"], ["seed={a:1}"], ["epochs=many"], ["optimizer.lr=fast"],
              ["optimizer=sgd"], ["optimizer.lr=[1,2]"], ["name=[a]"], ["optimizer.beta=1"], ["ключ=1"],
              ["a" * 5000 + "=1"], ["model/" + "b" * 300 + "=x"], ["seed=null", "epochs=x"],
              ["hydra.job.nope=1"], ["hydra/launcher=nope"], ["hydra/sweeper=nope"], ["hydra/callbacks=nope"]]
    return cases


SWEEP_KEYS = [["seed=1,2,x"], ["model=linear,resnet"], ["seed=range(0,3,0)"], ["seed=range(0,100)", "sed=1,2"],
              ["epochs=1,2", "optimizer.lr=0.1,slow"], ["x=interval(0,1)"], ["hydra.sweeper._target_=a.B"],
              ["hydra/sweeper=optuna", "seed=interval(0,1)"],
              ["hydra/sweeper=optuna", "model=choice(linear,resnet)"], ["hydra/sweeper=random", "seed=range(0,3,0)"],
              ["seed=1,2", "model=linear,mlp,Linear"], ["seed=range(0,50)", "epochs=1,2,three"]]

FLAGS = [
    ["-j", "0"], ["-j", "-3"], ["-j", "abc"], ["-j", ""], ["--jobs", "1.5"], ["--timeout", "-5"], ["--timeout", "nan"],
    ["--timeout", "inf"], ["--timeout", "abc"], ["--timeout", "0"], ["--retries", "-1"], ["--retries", "x"],
    ["--launcher", "nope"], ["--ray-address", "bad address"], ["--ray-address", "localhost"], ["--gpus", "x"],
    ["--launcher", "ray", "--ray-address", "127.0.0.1:1"], ["--launcher", "ray", "--ray-address", "ray://no-such-host.invalid:10001"],
    ["--gpus", "0,0"], ["--gpus", "0,,1"], ["--config-path", "/nonexistent/conf"], ["--config-name", "nope"],
    ["--no-wait"], ["--launcher", "ray", "--no-wait"], ["--cfg", "bogus"], ["--info", "bogus"], ["--resolve"],
    ["--package", "x"], ["--bogus"], ["--dryrun"], ["-z"], ["--timeot", "5"], ["--jobs"], ["--timeout"],
    ["--launcher", "ray", "--gpus", "0"], ["--launcher", "ray", "--stream"], ["--retries", "1.5"],
    ["--gpus-per-job", "x"], ["--cpus-per-job", "x"], ["--mlflow-uri"], ["--config-dir", "/nonexistent/extra"],
    ["--version-base", "0.1"],
]

TARGETS = [["syn.py"], ["boom.py"], ["missing_dep.py"], ["needs.py:task"], ["noparam.py:task"], ["nope"], ["nope.py"],
           ["app:nothing"], ["app:CONST"], ["conf"], ["notes.txt"], [":task"], ["app.py:"], ["no_such_pkg.mod:f"],
           ["boom:task"], ["syn:task"], ["afile"]]

JOURNAL_COMMANDS = [["results"], ["status"], ["resume"], ["sync"], ["results", "--plot"], ["results", "--json"],
                    ["results", "--csv", "out.csv"]]
JOURNAL_STATES = ["corrupt", "empty", "truncated", "journal_is_a_dir", "no_journal", "no_such_dir"]

OUTPUT_DIRS = [
    ["run", *APP, "hydra.run.dir=afile/x"], ["multirun", *APP, "seed=1,2", "hydra.sweep.dir=afile/x"],
    ["run", *APP, "hydra.run.dir=" + "d" * 300], ["multirun", *APP, "seed=1,2", "hydra.sweep.dir=" + "d" * 300],
    ["run", *APP, "hydra.run.dir=afile"], ["multirun", *APP, "seed=1,2", "hydra.sweep.dir=afile"],
    ["results", "sweeps/good", "--csv", "missing/dir/out.csv"], ["results", "sweeps/good", "--csv", "conf"],
    ["results", "sweeps/good", "--csv", "afile/out.csv"], ["results", "sweeps/good", "--plot", "--csv", "m/x.csv"],
]


def _cases() -> dict[str, list[list[str]]]:
    modes = [["run", *APP], ["multirun", *APP]]
    config_files = sorted(name[len("conf/"):-len(".yaml")] for name in FILES if name.startswith("conf/bad_"))
    return {
        "grammar": [[*mode, override] for mode in modes for override in GRAMMAR],
        "keys": [[*mode, *case] for mode in modes for case in _key_cases()]
        + [["multirun", *APP, *case] for case in SWEEP_KEYS]
        + [["multirun", *APP, *case, "--dry-run"] for case in SWEEP_KEYS]
        + [["multirun", *APP, "hydra.launcher._target_=not.a.Class", "seed=1,2"]],  # --dry-run builds no launcher
        "flags": [["multirun", *APP, "seed=1,2", *flags] for flags in FLAGS]
        + [["run", *APP, *flags] for flags in FLAGS if flags[0] not in ("--launcher", "--no-wait")],
        "config files": [[*mode[:1], "app:task", "--config-path", "conf", "--config-name", name]
                         for mode in modes for name in config_files + ["nonutf8", "does_not_exist"]],
        "targets": [[command, *target] for command in ("run", "multirun") for target in TARGETS],
        "journals": [[*command[:1], f"sweeps/{state}", *command[1:]]
                     for command in JOURNAL_COMMANDS for state in JOURNAL_STATES],
        "output dirs": OUTPUT_DIRS,
    }


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project(tmp_path_factory.mktemp("fuzz")).write(FILES)
    (project.root / "conf" / "nonutf8.yaml").write_bytes(b'x: "\xff\xfe"\n')
    made = project.cli("multirun", *APP, "seed=1,2", "hydra.sweep.dir=sweeps/good")
    assert made.code == 0, made.err
    good = project.root / "sweeps" / "good"
    journal = (good / "journal.sqlite").read_bytes()
    for state in JOURNAL_STATES[:-1]:
        shutil.copytree(good, project.root / "sweeps" / state)
        path = project.root / "sweeps" / state / "journal.sqlite"
        for extra in ("-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        if state == "corrupt":
            path.write_bytes(b"\x13\x37 not a database " * 64)
        elif state == "empty":
            path.write_bytes(b"")
        elif state == "truncated":
            path.write_bytes(journal[: len(journal) // 2])
        elif state == "journal_is_a_dir":
            path.unlink()
            path.mkdir()
        elif state == "no_journal":
            path.unlink()
    return project


def _problems(args: list[str], result: dict[str, object]) -> list[str]:
    err = str(result["err"])
    written = result["written"]
    problems = []
    if result["code"] != 2:
        problems.append(f"exit code {result['code']}")
    if "Traceback" in err:
        problems.append("a traceback")
    if not any(line.startswith("fix: ") for line in err.splitlines()):
        problems.append("no fix: line")
    if written:
        problems.append(f"wrote {sorted(written)[:3]}")
    if problems:
        shown = " ".join(a if len(a) < 60 else a[:40] + "..." for a in args)
        return [f"{shown}: {', '.join(problems)}\n    {err.strip()[:300]}"]
    return []


def test_there_are_at_least_300_inputs() -> None:
    assert sum(len(cases) for cases in _cases().values()) >= 300


@pytest.mark.parametrize("category", list(_cases()))
def test_every_bad_input_ends_in_a_clear_error_and_writes_nothing(fuzz_project: Project, category: str) -> None:
    cases = _cases()[category]
    results = _drive(fuzz_project, cases)
    failures = [problem for args, result in zip(cases, results) for problem in _problems(args, result)]
    assert not failures, f"{len(failures)} of {len(cases)} inputs:\n" + "\n".join(failures)


def _drive(project: Project, cases: list[list[str]]) -> list[dict[str, object]]:
    env = {**os.environ, "HYDRA_RUNNER_IN_PROJECT_VENV": "", "PYTHONWARNINGS": VERSION_BASE_DEPRECATION}
    proc = subprocess.run([sys.executable, str(DRIVER)],
                          input=json.dumps([{"args": args, "cwd": str(project.root)} for args in cases]),
                          capture_output=True, text=True, cwd=project.root, timeout=1200, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A read-only file system (as root, an unwritable folder is only one that the kernel refuses)."""
    mount_point = tmp_path / "read-only"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_an_output_dir_on_a_read_only_file_system_is_a_clear_error(fuzz_project: Project, read_only_dir: Path) -> None:
    cases = [["run", *APP, f"hydra.run.dir={read_only_dir}/out"],
             ["multirun", *APP, "seed=1,2", f"hydra.sweep.dir={read_only_dir}/sweep"],
             ["results", "sweeps/good", "--csv", f"{read_only_dir}/x.csv"]]
    results = _drive(fuzz_project, cases)
    failures = [problem for args, result in zip(cases, results) for problem in _problems(args, result)]
    assert not failures, "\n".join(failures)
    assert all("Read-only file system" in str(result["err"]) for result in results)
