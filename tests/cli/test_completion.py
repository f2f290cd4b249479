"""Shell completion: the scripts, the answers for each shell, and a real bash in tmux."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from hydra_runner.cli import cli
from hydra_runner.cli.completion import COMPLETE_VAR, SHELLS, target_completions
from tests.cli.test_named import TEAM_PROJECT
from tests.conftest import Project, Result

HANG_GUARD_SECONDS = 60  # a shell that never answers fails the test instead of hanging it


@pytest.fixture
def team(project: Project) -> Project:
    return project.write(TEAM_PROJECT)


def _complete(project: Project, shell: str, line: str) -> Result:
    """What ``hydra-runner`` answers the shell's completion function for ``line`` (cursor at its end)."""
    words = line.split()
    current = "" if line.endswith(" ") else words[-1]
    if shell == "bash":
        env = {"COMP_LINE": line, "COMP_POINT": str(len(line))}
    elif shell == "zsh":
        env = {"COMP_WORDS": line, "COMP_CWORD": str(len(words) - (0 if line.endswith(" ") else 1))}
    else:
        env = {"COMP_WORDS": line, "COMP_CWORD": current}
    return project.cli(env={**env, COMPLETE_VAR: f"{shell}_complete"})


def _bash_values(result: Result) -> list[str]:
    assert result.code == 0 and result.err == "", result.err
    return [line.partition(",")[2] for line in result.out.splitlines() if line]


# -- the scripts --------------------------------------------------------------------------------


def test_bash_script_registers_the_completion_function(project: Project) -> None:
    r = project.cli("completion", "bash")
    assert r.code == 0, r.err
    assert "complete -o nosort -F _hydra_runner_completion hydra-runner" in r.out
    assert f"{COMPLETE_VAR}=bash_complete" in r.out and 'COMP_LINE="$COMP_LINE"' in r.out
    assert project.cli(env={COMPLETE_VAR: "bash_source"}).out == r.out


def test_zsh_script_uses_compdef() -> None:
    script = SHELLS["zsh"](cli, {}, "hydra-runner", COMPLETE_VAR).source()
    assert script.startswith("#compdef hydra-runner")
    assert "compdef _hydra_runner_completion hydra-runner" in script
    assert f"{COMPLETE_VAR}=zsh_complete hydra-runner" in script


def test_fish_script_registers_a_complete_rule() -> None:
    script = SHELLS["fish"](cli, {}, "hydra-runner", COMPLETE_VAR).source()
    assert 'complete --no-files --command hydra-runner --arguments "(_hydra_runner_completion)"' in script
    assert f"{COMPLETE_VAR}=fish_complete" in script


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_command_prints_each_shells_script(project: Project, shell: str) -> None:
    r = project.cli("completion", shell)
    assert r.code == 0, r.err
    assert r.out == SHELLS[shell](cli, {}, "hydra-runner", COMPLETE_VAR).source()


def test_unknown_shell_is_a_usage_error(project: Project) -> None:
    r = project.cli("completion", "tcsh")
    assert r.code == 2
    assert "tcsh" in r.err and "bash" in r.err


# -- the answers --------------------------------------------------------------------------------


def test_commands_and_named_commands_complete(team: Project) -> None:
    assert _bash_values(_complete(team, "bash", "hydra-runner ru")) == ["run", "run-base"]
    assert _bash_values(_complete(team, "bash", "hydra-runner mu")) == ["multirun"]
    zsh = _complete(team, "zsh", "hydra-runner sw").out.splitlines()
    assert zsh[zsh.index("sweep") + 1] == "multirun src.train +experiment=base,large,small -j 2"
    assert "sweeps" in zsh and "sweep-lr" in zsh


def test_a_broken_table_still_completes_built_in_commands(project: Project) -> None:
    project.write({"pyproject.toml": "[tool.hydra-runner.commands]\nrun = 'run x'\n"})
    assert _bash_values(_complete(project, "bash", "hydra-runner ru")) == ["run"]


def test_targets_are_files_and_modules_with_hydra_main(team: Project) -> None:
    team.write({
        "src/util.py": "def helper():\n    return 1\n",
        "tools/sweep_app.py": "from hydra import main\n\n@hydra.main(version_base=None)\ndef f(cfg):\n    pass\n",
        "outputs/old/copy.py": "import hydra\n@hydra.main()\ndef g(cfg):\n    pass\n",
        ".venv/lib/site.py": "import hydra\n@hydra.main()\ndef g(cfg):\n    pass\n",
    })
    assert _bash_values(_complete(team, "bash", "hydra-runner run ")) == [
        "src.train", "src/", "src/train.py", "tools.sweep_app", "tools/", "tools/sweep_app.py"
    ]
    assert _bash_values(_complete(team, "bash", "hydra-runner multirun src/")) == ["src/train.py"]
    assert _bash_values(_complete(team, "bash", "hydra-runner run ./t")) == ["./tools/", "./tools/sweep_app.py"]


def test_target_completions_scan_text_without_importing(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text("raise SystemExit('imported')\nimport hydra\n@hydra.main()\ndef f(c): ...\n")
    (tmp_path / "my-scripts").mkdir()
    (tmp_path / "my-scripts" / "go.py").write_text("import hydra\n@hydra.main()\ndef f(c): ...\n")
    assert target_completions("", tmp_path) == ["my-scripts/", "my-scripts/go.py", "pkg.app", "pkg/", "pkg/app.py"]
    assert target_completions("pkg.", tmp_path) == ["pkg.app"]


def test_overrides_come_from_hydras_completion_of_the_targets_config(team: Project) -> None:
    assert _bash_values(_complete(team, "bash", "hydra-runner run src.train tr")) == ["trainer."]
    assert _bash_values(_complete(team, "bash", "hydra-runner run src.train trainer.")) == [
        "trainer.accelerator=", "trainer.max_epochs="
    ]
    # bash has cut the word at '=': the answer is what follows it.
    assert _bash_values(_complete(team, "bash", "hydra-runner run src.train +experiment=")) == ["base", "large", "small"]
    assert _bash_values(_complete(team, "bash", "hydra-runner run src.train +experiment=base experiment.o")) == [
        "experiment.optimizer="
    ]
    launchers = _bash_values(_complete(team, "bash", "hydra-runner multirun src.train -j 2 hydra/launcher=r"))
    assert "runner_pool" in launchers and "runner_ray" in launchers


def test_zsh_and_fish_get_whole_words(team: Project) -> None:
    zsh = _complete(team, "zsh", "hydra-runner run src.train +experiment=").out.splitlines()
    assert [zsh[i + 1] for i in range(0, len(zsh), 3)] == ["+experiment=base", "+experiment=large", "+experiment=small"]
    fish = _complete(team, "fish", "hydra-runner run src.train +experiment=l").out.splitlines()
    assert fish == ["plain,+experiment=large"]


def test_options_and_their_values_complete_as_click_completes_them(team: Project) -> None:
    assert _bash_values(_complete(team, "bash", "hydra-runner run src.train --cf")) == ["--cfg"]
    assert _bash_values(_complete(team, "bash", "hydra-runner run src.train --cfg ")) == ["job", "hydra", "all"]


def test_a_named_command_completes_as_its_expansion(team: Project) -> None:
    assert _bash_values(_complete(team, "bash", "hydra-runner run-base experiment.")) == [
        "experiment.batch_size=", "experiment.lr=", "experiment.optimizer="
    ]
    assert "--dry-run" in _bash_values(_complete(team, "bash", "hydra-runner sweep --d"))


def test_a_failing_target_completes_nothing_and_prints_nothing(team: Project) -> None:
    team.write({"src/broken.py": "import hydra\nimport sys\nprint('noise')\nsys.stderr.write('err')\nraise RuntimeError('x')\n"})
    r = _complete(team, "bash", "hydra-runner run src.broken tr")
    assert (r.code, r.out.strip(), r.err) == (0, "", "")
    r = _complete(team, "zsh", "hydra-runner run no.such.module tr")
    assert (r.code, r.out.strip(), r.err) == (0, "", "")


def test_what_a_target_prints_on_import_is_not_a_completion(team: Project) -> None:
    team.write({"src/noisy.py": """
        import warnings

        import hydra

        print("NOISE")
        warnings.warn("W")

        @hydra.main(config_path="conf", config_name="config", version_base="1.3")
        def run(cfg):
            pass
        """})
    r = _complete(team, "bash", "hydra-runner run src.noisy trainer.m")
    assert _bash_values(r) == ["trainer.max_epochs="]


# -- a real bash --------------------------------------------------------------------------------


class Tmux:
    """A bash in a tmux session of its own server, typed into and read like a terminal."""

    def __init__(self) -> None:
        self.socket = f"hydra-runner-test-{uuid.uuid4().hex[:12]}"

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True).stdout

    def type(self, *keys: str) -> None:
        self("send-keys", "-t", "main", *keys)

    def wait_for(self, pattern: str) -> str:
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while True:
            screen = self("capture-pane", "-p", "-t", "main")
            if re.search(pattern, screen, re.MULTILINE):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; the screen:\n{screen}")
            time.sleep(0.1)

    def clear(self) -> None:
        self.type("C-c")
        self.type("clear; echo CLEARED", "Enter")
        self.wait_for(r"^CLEARED$")


@pytest.fixture
def bash(team: Project) -> Iterator[Tmux]:
    hydra_runner = Path(sys.executable).parent / "hydra-runner"
    assert hydra_runner.is_file(), f"the console script is installed beside {sys.executable}"
    tmux = Tmux()
    tmux("new-session", "-d", "-s", "main", "-x", "200", "-y", "50", "bash", "--norc", "--noprofile")
    socket_path = Path(tmux("display-message", "-p", "#{socket_path}").strip())
    try:
        tmux.type(f"export PATH={hydra_runner.parent}:$PATH PS1='$ '; cd {team.root}", "Enter")
        tmux.type('eval "$(hydra-runner completion bash)"; echo READY', "Enter")
        tmux.wait_for(r"^READY$")
        yield tmux
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True)
        socket_path.unlink(missing_ok=True)


# What is typed before TAB, and the line it becomes. The Z typed after TAB shows whether
# completion ended the word with a space.
BASH_LINES = [
    ("hydra-runner mu", "hydra-runner multirun Z"),
    ("hydra-runner run-b", "hydra-runner run-base Z"),
    ("hydra-runner run src.t", "hydra-runner run src.train Z"),
    ("hydra-runner run src.train exp", "hydra-runner run src.train experiment=Z"),
    ("hydra-runner run src.train +experiment=l", "hydra-runner run src.train +experiment=large Z"),
    ("hydra-runner multirun src.train hydra/launcher=runner_p", "hydra-runner multirun src.train hydra/launcher=runner_pool Z"),
    ("hydra-runner run-base trainer.max", "hydra-runner run-base trainer.max_epochs=Z"),
]


def test_completion_in_a_real_bash(bash: Tmux) -> None:
    for typed, line in BASH_LINES:
        bash.type(typed, "Tab", "Z")
        bash.wait_for(f"^{re.escape('$ ' + line)}$")
        bash.clear()
    bash.type("hydra-runner run src.train +experiment=", "Tab", "Tab")
    bash.wait_for(r"^base\s+large\s+small\s*$")
