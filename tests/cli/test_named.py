"""Named commands from pyproject.toml, through real subprocesses in the seed-000 project."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydra_runner.cli.named import NamedCommands
from hydra_runner.journal import Status, SweepJournal, latest_sweep
from tests.conftest import SEED_000, Project

TABLE = """
    [project]
    name = "hydra-example"

    [tool.hydra-runner.commands]
    run-base = "run src.train +experiment=base"
    sweep = "multirun src.train +experiment=base,large,small -j 2"
    sweep-lr = "sweep 'experiment.lr=0.5,0.25'"
    """

# The team's table adds +experiment, so the primary config leaves the group out of its defaults.
TEAM_PROJECT = {
    **SEED_000,
    "conf/config.yaml": """
        defaults:
          - _self_

        trainer:
          max_epochs: 5
          accelerator: cpu
        """,
    "conf/experiment/small.yaml": """
        optimizer: rmsprop
        lr: 0.1
        batch_size: 8
        """,
    "pyproject.toml": TABLE,
}


@pytest.fixture
def team(project: Project) -> Project:
    return project.write(TEAM_PROJECT)


def _with_table(project: Project, table: str) -> Project:
    return project.write({**SEED_000, "pyproject.toml": "[tool.hydra-runner.commands]\n" + table})


def test_named_command_runs_its_expansion(team: Project) -> None:
    r = team.cli("run-base")
    assert r.code == 0, r.err
    assert "optimizer=adam" in r.out and "lr=0.001" in r.out
    assert list((team.root / "outputs").glob("*/*/.hydra/config.yaml"))


def test_extra_overrides_are_appended(team: Project) -> None:
    r = team.cli("run-base", "experiment.lr=0.5")
    assert r.code == 0, r.err
    assert "optimizer=adam" in r.out and "lr=0.5" in r.out
    overrides = next((team.root / "outputs").glob("*/*/.hydra/overrides.yaml")).read_text()
    assert overrides == "- +experiment=base\n- experiment.lr=0.5\n"


def test_named_sweep_runs_every_job_and_records_the_expansion(team: Project) -> None:
    r = team.cli("sweep", "--stream")
    assert r.code == 0, r.err
    for line in ("optimizer=adam", "optimizer=sgd", "optimizer=rmsprop"):
        assert line in r.out
    sweep_dir = latest_sweep(team.root)
    assert sweep_dir is not None
    with SweepJournal.open(sweep_dir) as journal:
        # `resume` runs this again: the expansion, not a name the table may later change.
        assert journal.meta["command"][-6:] == [
            "multirun", "src.train", "+experiment=base,large,small", "-j", "2", "--stream"
        ]
        assert [job.status for job in journal.jobs()] == [Status.SUCCEEDED] * 3


def test_a_named_command_can_extend_another(team: Project) -> None:
    r = team.cli("sweep-lr", "--dry-run")
    assert r.code == 0, r.err
    assert r.out.strip() == "hydra-runner multirun src.train +experiment=base,large,small -j 2 experiment.lr=0.5,0.25"
    r = team.cli("sweep-lr", "--", "--dry-run")
    assert r.code == 0, r.err
    assert "6 jobs would run" in r.out


def test_dry_run_prints_the_command_and_runs_nothing(team: Project) -> None:
    r = team.cli("run-base", "--dry-run", "experiment.lr=0.5", "trainer.accelerator=a b")
    assert r.code == 0, r.err
    assert r.out.strip() == "hydra-runner run src.train +experiment=base experiment.lr=0.5 'trainer.accelerator=a b'"
    assert "optimizer=" not in r.out
    assert not (team.root / "outputs").exists()


def test_dry_run_after_an_override_is_the_multiruns_own(team: Project) -> None:
    r = team.cli("sweep", "experiment.lr=0.1,0.2", "--dry-run")
    assert r.code == 0, r.err
    assert "6 jobs would run" in r.out and "#5 : +experiment=small experiment.lr=0.2" in r.out
    assert not (team.root / "multirun").exists()


def test_commands_lists_names_expansions_and_the_file(team: Project) -> None:
    r = team.cli("commands")
    assert r.code == 0, r.err
    assert f"Named commands from {team.root / 'pyproject.toml'}:" in r.out
    assert "run-base  run src.train +experiment=base" in r.out
    assert "sweep     multirun src.train +experiment=base,large,small -j 2" in r.out


def test_help_shows_named_commands_in_their_own_section(team: Project) -> None:
    r = team.cli("--help")
    assert r.code == 0, r.err
    commands, named = r.out.split("Named commands")
    assert "run-base" not in commands and "multirun" in commands
    assert "run-base  run src.train +experiment=base" in named


def test_help_of_a_named_command_shows_what_it_runs(team: Project) -> None:
    r = team.cli("run-base", "--help")
    assert r.code == 0, r.err
    assert "Usage: hydra-runner run-base [--dry-run] [ARGS]..." in r.out
    assert "Runs: hydra-runner run src.train +experiment=base" in r.out
    assert not (team.root / "outputs").exists()


def test_table_is_found_from_a_subdirectory_past_a_pyproject_without_it(team: Project) -> None:
    sub = Project(team.root / "tools" / "inner").write({"pyproject.toml": '[project]\nname = "inner"\n'})
    r = sub.cli("commands")
    assert r.code == 0, r.err
    assert f"Named commands from {team.root / 'pyproject.toml'}:" in r.out
    r = sub.cli("run-base", "--dry-run")
    assert r.code == 0, r.err
    assert r.out.strip() == "hydra-runner run src.train +experiment=base"


def test_without_a_table_commands_says_how_to_add_one(project: Project) -> None:
    r = project.cli("commands")
    assert r.code == 0, r.err
    assert "No named commands" in r.out and "[tool.hydra-runner.commands]" in r.out


def test_unknown_command_lists_named_commands_too(team: Project) -> None:
    r = team.cli("run-bse")
    assert r.code == 2
    assert "no command 'run-bse'" in r.err
    assert "multirun" in r.err and "run-base, sweep, sweep-lr" in r.err


def test_errors_of_the_expansion_are_reported_as_usual(seed000: Project) -> None:
    # Seed 000 keeps experiment in its defaults list, so +experiment cannot be added.
    seed000.write({"pyproject.toml": TABLE})
    r = seed000.cli("run-base")
    assert r.code == 2
    assert r.err.startswith("error: experiment appears more than once in the final defaults list")
    assert "Traceback" not in r.err


@pytest.mark.parametrize(
    ("table", "message", "fix"),
    [
        ('run = "run src.train"', "named command 'run'", "rename it in [tool.hydra-runner.commands]"),
        ("a = 5", "named command 'a'", "not a string"),
        ('a = ["run", "src.train"]', "not a string", 'a = "run src.train'),
        ('a = "run \\"x"', "not a valid command line", "close its quotes"),
        ('a = ""', "is empty", "give it a command line"),
        ('a = "fit src.train"', "starts with 'fit'", "start it with one of"),
        ('a = "b x=1"\nb = "a y=2"', "loop: a -> b -> a", "start one of them with a built-in command"),
        ('"-a" = "run src.train"', "cannot be a command name", "does not start with '-'"),
    ],
)
def test_a_malformed_table_is_a_clear_error(project: Project, table: str, message: str, fix: str) -> None:
    r = _with_table(project, table).cli("a")
    assert r.code == 2, r.out + r.err
    assert message in r.err and fix in r.err + r.out
    assert str(project.root / "pyproject.toml") in r.err
    assert "Traceback" not in r.err


def test_a_clash_names_the_built_in_command(project: Project) -> None:
    r = _with_table(project, 'sweeps = "multirun src.train"\nrun-base = "run src.train"').cli("run-base")
    assert r.code == 2
    assert "named command 'sweeps'" in r.err and "built-in command 'sweeps'" in r.err
    assert "fix: rename it" in r.err


def test_unparsable_toml_is_a_clear_error(project: Project) -> None:
    project.write({"pyproject.toml": "[tool.hydra-runner.commands\nrun-base = 'run src.train'\n"})
    r = project.cli("run-base")
    assert r.code == 2
    assert "is not valid TOML" in r.err and "line 1" in r.err and "Traceback" not in r.err


def test_help_still_works_and_shows_the_table_error(project: Project) -> None:
    r = _with_table(project, "a = 5").cli("--help")
    assert r.code == 0, r.err
    text = " ".join(r.out.split())  # help text is wrapped at the terminal's width
    assert "Named commands: error: named command 'a'" in text and "is 5 (int), not a string" in text


def test_built_in_commands_do_not_read_pyproject(seed000: Project) -> None:
    seed000.write({"pyproject.toml": "this is [not toml"})
    r = seed000.cli("run", "src.train")
    assert r.code == 0, r.err
    assert "optimizer=adam" in r.out


def test_expand_follows_chains_and_appends_extra_arguments() -> None:
    table = NamedCommands(Path("pyproject.toml"), words={"a": ["run", "t", "x=1"], "b": ["a", "y=2"]})
    assert table.expand("b", ["z=3"]) == ["run", "t", "x=1", "y=2", "z=3"]
    assert table.expand("a", []) == ["run", "t", "x=1"]
