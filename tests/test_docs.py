"""Every fenced code block in README.md and docs/guides/*.md runs as a reader would run it.

Each block is one test named after its page and line (``docs/guides/cli.md:42``).
How a block runs depends on its language:

    bash, sh, shell    one bash script (``set -eo pipefail``)
    console            each ``$ `` line is a command (a trailing ``\\`` continues it on the
                       next line); the lines after it are its expected output, stdout and
                       stderr together, compared as doctest does with ELLIPSIS and
                       NORMALIZE_WHITESPACE (``...`` matches anything, and a timestamp such as
                       ``2024-05-01 10:00:00,000`` or ``2024-05-01/10-00-00`` any timestamp);
                       a command with no lines after it is run, its output not compared
    python, py         a doctest when it has ``>>>`` lines (outputs compared), else a script
    yaml, json, toml   parsed: must be valid
    text               not run: output, file trees, commands that need a Ray cluster

``hydra-runner`` and ``python`` are this interpreter's (its bin directory goes first on
PATH, with ``HYDRA_RUNNER_IN_PROJECT_VENV`` set empty as ``tests/conftest.py`` does).

HTML comments on the lines just above a block (GitHub does not show them) set it up:

    <!-- project: examples/quickstart -->   start in a fresh directory holding a copy of
                                            that directory of this repository
                                            (``empty``: an empty directory)
    <!-- file: conf/db/pg.yaml -->          the block is that file: written there, not run
    <!-- expect: exit=2 stderr~"has no option" -->
                                            the block's last command exits 2 and its stderr
                                            (``stdout~``, ``output~``: either) contains the
                                            text; the commands before it must succeed

A block without ``project:`` runs in the directory the previous block of its page left
(files written, sweeps run), as in a reader's terminal; a page's first block without one
starts in an empty directory. A test run on its own replays the blocks before it first.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs" / "guides").glob("*.md"))]
BIN = Path(sys.executable).parent

SHELLS = {"bash", "sh", "shell"}
PYTHON = {"python", "py"}
PARSED = {"yaml", "yml", "json", "toml"}
LANGUAGES = SHELLS | PYTHON | PARSED | {"console", "text"}
DIRECTIVES = {"project", "file", "expect"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*([\w-]+):\s*(.*?)\s*-->\s*$")
_EXPECT = re.compile(r'\s*(?:exit=(?P<code>\d+)|(?P<stream>stdout|stderr|output)~"(?P<text>(?:[^"\\]|\\.)*)")')
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ /T]\d\d[:-]\d\d[:-]\d\d(?:,\d{3})?")
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "outputs", "multirun", ".hydra-runner", "mlflow.db", "mlruns")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    language: str
    code: str
    settings: dict[str, str] = field(hash=False)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def runs(self) -> bool:
        """Whether the block does anything: text is only read, unless it is a file to write."""
        return self.language != "text" or "file" in self.settings


@dataclass
class Expect:
    exit: int = 0
    contains: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Expect:
        expect, pos = cls(), 0
        while pos < len(text.rstrip()):
            m = _EXPECT.match(text, pos)
            if m is None:
                raise AssertionError(f"cannot read 'expect: {text}' at {text[pos:]!r}: "
                                     'write exit=N and stdout~"text", stderr~"text" or output~"text"')
            if m["code"] is not None:
                expect.exit = int(m["code"])
            else:
                expect.contains.append((m["stream"], re.sub(r"\\(.)", r"\1", m["text"])))
            pos = m.end()
        return expect

    def check(self, code: int, out: str, err: str, what: str) -> None:
        if code != self.exit:
            raise AssertionError(f"{what} exited {code}, expected {self.exit}\n{_shown(out, err)}")
        for stream, text in self.contains:
            seen = {"stdout": out, "stderr": err, "output": out + err}[stream]
            if text not in seen:
                raise AssertionError(f"{stream} of {what} lacks {text!r}\n{_shown(out, err)}")


def parse_page(path: Path, root: Path = REPO) -> list[Block]:
    """The fenced code blocks of a markdown page, with the directives just above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.relative_to(root).as_posix()
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start, fence, indent = i, m["fence"], len(m["indent"])
        body: list[str] = []
        i += 1
        while i < len(lines) and not _closes(lines[i], fence):
            body.append(_unindent(lines[i], indent))
            i += 1
        if i == len(lines):
            raise ValueError(f"{page}:{start + 1}: the code block is never closed")
        i += 1
        language = (m["info"].split() or [""])[0].lower()
        blocks.append(Block(page, start + 1, language, "\n".join(body) + "\n", _settings(lines, start)))
    return blocks


def _unindent(line: str, indent: int) -> str:
    """``line`` without the indentation of its fence (a block inside a list item)."""
    return line[min(indent, len(line) - len(line.lstrip())):]


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def _settings(lines: list[str], fence_index: int) -> dict[str, str]:
    settings: dict[str, str] = {}
    j = fence_index - 1
    while j >= 0 and (not lines[j].strip() or _DIRECTIVE.match(lines[j])):
        m = _DIRECTIVE.match(lines[j])
        if m is not None:
            settings.setdefault(m[1], m[2])
        j -= 1
    return settings


# -- running a block ----------------------------------------------------------------------------


def _env() -> dict[str, str]:
    if not (BIN / "hydra-runner").exists():
        raise AssertionError(f"no hydra-runner beside {sys.executable}: run the tests with .venv/bin/python")
    # The docs describe the defaults: settings of the machine running the tests must not leak in.
    unset = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "HYDRA_FULL_ERROR", "RAY_ADDRESS", "HYDRA_RUNNER_RESUME")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HYDRA_RUNNER_IN_PROJECT_VENV="", COLUMNS="80")
    return env


def _shown(out: str, err: str) -> str:
    return f"--- stdout:\n{out[-6000:]}\n--- stderr:\n{err[-6000:]}"


def _run(args: list[str], cwd: Path, *, merged: bool = False) -> tuple[int, str, str]:
    proc = subprocess.run(args, cwd=cwd, env=_env(), text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merged else subprocess.PIPE)
    return proc.returncode, proc.stdout, proc.stderr or ""


def _last_command(script: str) -> tuple[str, str]:
    """``script`` split before its last command (continued lines joined; no heredoc in it)."""
    lines = script.rstrip().splitlines()
    while lines and lines[-1].lstrip().startswith("#"):
        lines.pop()
    start = len(lines) - 1
    while start > 0 and lines[start - 1].rstrip().endswith("\\"):
        start -= 1
    return "\n".join(lines[:start]) + "\n", "\n".join(lines[start:]) + "\n"


def _run_shell(block: Block, cwd: Path, expect: Expect) -> None:
    script = block.code
    if expect.exit != 0:
        script, last = _last_command(script)
        code, out, err = _run(["bash", "-eo", "pipefail", "-c", script], cwd)
        if code != 0:
            raise AssertionError(f"the commands before the last one exited {code}\n{_shown(out, err)}")
        script = last
    code, out, err = _run(["bash", "-eo", "pipefail", "-c", script], cwd)
    expect.check(code, out, err, "the block" if expect.exit == 0 else "its last command")


def _console_commands(code: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = [line[2:]]
            while command[-1].rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                command.append(lines[i])
            pairs.append(("\n".join(command), []))
        elif pairs:
            pairs[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"console blocks start with a '$ ' command, not {line!r}")
        i += 1
    return [(command, "\n".join(output).strip("\n")) for command, output in pairs]


# Hydra 1.4 warns, where @hydra.main is applied, that version_base is deprecated; the pages show
# the output of the locked Hydra 1.3, whose examples must keep version_base="1.3".
_VERSION_BASE_WARNING = re.compile(
    r"^\S.*: Hydra15MigrationWarning: The version_base parameter is deprecated.*\n"
    r"(?:Omit the version_base parameter.*\n)?(?:  .*\n)?", re.MULTILINE)


def _same_output(want: str, got: str) -> bool:
    def times(text: str) -> str:
        return _TIMESTAMP.sub(lambda m: re.sub(r"\d", "0", m.group()), text)

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    got = _VERSION_BASE_WARNING.sub("", got)
    return doctest.OutputChecker().check_output(times(want) + "\n", times(got), flags)


def _run_console(block: Block, cwd: Path, expect: Expect) -> None:
    commands = _console_commands(block.code)
    assert commands, "a console block needs at least one '$ ' command"
    for n, (command, want) in enumerate(commands):
        last = n == len(commands) - 1
        code, out, _ = _run(["bash", "-o", "pipefail", "-c", command], cwd, merged=True)
        what = f"$ {command}"
        if last:
            expect.check(code, out, out, what)
        elif code != 0:
            raise AssertionError(f"{what} exited {code}\n{out}")
        if want and not _same_output(want, out):
            raise AssertionError(f"{what}: the output differs from the page\n--- page:\n{want}\n--- got:\n{out}")


def _run_python(block: Block, cwd: Path, expect: Expect, scratch: Path) -> None:
    if any(line.startswith(">>>") for line in block.code.splitlines()):
        source = scratch / f"{Path(block.page).stem}_{block.line}.txt"
        source.write_text(block.code, encoding="utf-8")
        # `python -m` puts the working directory first on sys.path, as a notebook started there does.
        args = [sys.executable, "-m", "doctest", "-o", "ELLIPSIS", "-o", "NORMALIZE_WHITESPACE", str(source)]
    else:
        args = [sys.executable, "-c", block.code]
    code, out, err = _run(args, cwd)
    expect.check(code, out, err, "the block")


def _parse(language: str, text: str) -> None:
    if language in ("yaml", "yml"):
        yaml.safe_load(text)
    elif language == "json":
        json.loads(text)
    elif language == "toml":
        import tomllib  # Python 3.11+; only pages with toml blocks need it

        tomllib.loads(text)


def run_block(block: Block, cwd: Path, scratch: Path) -> None:
    unknown = set(block.settings) - DIRECTIVES
    assert not unknown, f"unknown directive(s) {sorted(unknown)}; known: {sorted(DIRECTIVES)}"
    assert block.language in LANGUAGES, (
        f"a block in '{block.language or '(no language)'}' cannot be run; one of {sorted(LANGUAGES)} "
        "('text' for a block that is only read)")
    expect = Expect.parse(block.settings.get("expect", ""))
    if "file" in block.settings:
        path = cwd / block.settings["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.code, encoding="utf-8")
        if block.language in PYTHON:
            compile(block.code, str(path), "exec")
        _parse(block.language, block.code)
    elif block.language in SHELLS:
        _run_shell(block, cwd, expect)
    elif block.language == "console":
        _run_console(block, cwd, expect)
    elif block.language in PYTHON:
        _run_python(block, cwd, expect, scratch)
    else:
        _parse(block.language, block.code)


# -- a page's blocks share a directory, as a reader's terminal does ---------------------------------

BLOCKS = {path.relative_to(REPO).as_posix(): parse_page(path) for path in PAGES}
_where: dict[tuple[str, int], tuple[Path, int]] = {}
"""For each run of blocks sharing a directory (page, first block): the directory, the last block run."""
_broken: dict[tuple[str, int], str] = {}
"""Runs of blocks where a block failed: the blocks after it fail at once instead of replaying it."""


def _first_of_run(blocks: list[Block], k: int) -> int:
    while k > 0 and "project" not in blocks[k].settings:
        k -= 1
    return k


def _fresh_dir(project: str, factory: pytest.TempPathFactory) -> Path:
    if project in ("", "empty"):
        return factory.mktemp("empty")
    source = (REPO / project).resolve()
    assert source.is_dir() and REPO in source.parents, f"project: {project} is not a directory of this repository"
    directory = factory.mktemp(source.name)
    shutil.copytree(source, directory, ignore=_COPY_IGNORE, dirs_exist_ok=True)
    return directory


def _failure(block: Block, cwd: Path, scratch: Path) -> Optional[str]:
    """Run ``block``; what went wrong, or None."""
    try:
        run_block(block, cwd, scratch)
    except AssertionError as e:
        return f"{block.id}: {e}"
    except Exception as e:  # a file block that does not parse, a bad directive
        return f"{block.id}: {type(e).__name__}: {e}"
    return None


def _directory_for(blocks: list[Block], k: int, factory: pytest.TempPathFactory) -> tuple[Path, tuple[str, int]]:
    first = _first_of_run(blocks, k)
    key = (blocks[k].page, first)
    if key in _broken:
        pytest.fail(f"{_broken[key]}, which sets up this block, failed (see its own test)", pytrace=False)
    known: Optional[tuple[Path, int]] = _where.pop(key, None)
    previous = max((j for j in range(first, k) if blocks[j].runs), default=None)
    if known is not None and known[1] == previous:
        return known[0], key
    directory = _fresh_dir(blocks[first].settings.get("project", ""), factory)
    for earlier in blocks[first:k]:
        failure = _failure(earlier, directory, factory.getbasetemp()) if earlier.runs else None
        if failure is not None:
            _broken[key] = earlier.id
            pytest.fail(f"this block's set-up failed:\n{failure}", pytrace=False)
    return directory, key


def _cases() -> list[object]:
    return [pytest.param(page, k, id=block.id)
            for page, blocks in BLOCKS.items() for k, block in enumerate(blocks) if block.runs]


@pytest.mark.parametrize(("page", "index"), _cases())
def test_block(page: str, index: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    blocks = BLOCKS[page]
    directory, key = _directory_for(blocks, index, tmp_path_factory)
    failure = _failure(blocks[index], directory, tmp_path_factory.getbasetemp())
    if failure is not None:
        _broken[key] = blocks[index].id
        pytest.fail(failure, pytrace=False)
    _where[key] = (directory, index)


def test_readme_links_every_guide() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    guides = sorted(p.name for p in (REPO / "docs" / "guides").glob("*.md") if p.name != "README.md")
    assert guides, "docs/guides has no guide"
    missing = [name for name in guides if f"docs/guides/{name}" not in readme]
    assert not missing, f"README.md's Guides list lacks {missing}"


def test_parser_reads_directives_and_nested_fences(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        '<!-- project: empty -->\n<!-- expect: exit=2 stderr~"no \\"x\\"" -->\n\n```console\n$ false\n```\n'
        "````text\n```bash\nnot a block\n```\n````\n- item:\n\n  ```python\n  x = 1\n  ```\n",
        encoding="utf-8",
    )
    blocks = parse_page(page, root=tmp_path)
    assert [(b.id, b.language) for b in blocks] == [("page.md:4", "console"), ("page.md:7", "text"),
                                                    ("page.md:14", "python")]
    assert blocks[0].settings == {"project": "empty", "expect": 'exit=2 stderr~"no \\"x\\""'}
    assert Expect.parse(blocks[0].settings["expect"]) == Expect(2, [("stderr", 'no "x"')])
    assert blocks[1].code == "```bash\nnot a block\n```\n" and blocks[1].settings == {}
    assert blocks[2].code == "x = 1\n"


def test_console_output_matches_with_ellipsis_and_any_timestamp() -> None:
    want = "[2024-05-01 10:00:00,000][HYDRA] Launching 2 jobs ...\nmultirun/2024-05-01/10-00-00"
    assert _same_output(want, "[2026-11-23 15:54:21,825][HYDRA] Launching 2 jobs locally\nmultirun/2026-11-23/15-54-21\n")
    assert not _same_output(want, "[2026-11-23 15:54:21,825][HYDRA] Launching 3 jobs locally\nmultirun/x\n")


def test_an_expected_failure_must_come_from_the_last_command(tmp_path: Path) -> None:
    expect_2 = {"expect": 'exit=2 stderr~"bad"'}
    run_block(Block("page.md", 1, "bash", "true\necho bad >&2 \\\n  && exit 2\n", expect_2), tmp_path, tmp_path)
    with pytest.raises(AssertionError, match="before the last one exited 1"):
        run_block(Block("page.md", 1, "bash", "false\necho bad >&2; exit 2\n", expect_2), tmp_path, tmp_path)
    with pytest.raises(AssertionError, match="lacks 'bad'"):
        run_block(Block("page.md", 1, "console", "$ exit 2\n", expect_2), tmp_path, tmp_path)
