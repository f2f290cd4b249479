from __future__ import annotations

from pathlib import Path

import pytest

from hydra_runner.errors import UsageError
from hydra_runner.scaffold.numbering import (
    format_number,
    next_number,
    numbered_dirs,
    numbered_files,
    split_name,
)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("larger-model", (None, "larger-model")),
        ("002-larger-model", (2, "larger-model")),
        ("1000-big", (1000, "big")),
        ("v2_model.b", (None, "v2_model.b")),
    ],
)
def test_split_name(name: str, expected: tuple[int | None, str]) -> None:
    assert split_name(name) == expected


@pytest.mark.parametrize("name, message", [
    ("2-foo", "3 digits"), ("02-foo", "3 digits"), ("002", "not a usable"), ("a b", "not a usable"),
    ("-x", "not a usable"), ("../x", "not a usable"),
])
def test_split_name_refuses(name: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        split_name(name)


def test_next_number_is_one_past_the_highest_gaps_stay() -> None:
    assert next_number([]) == 1
    assert next_number([1, 2, 7]) == 8
    assert format_number(8) == "008" and format_number(1234) == "1234"


def test_numbered_dirs_and_files(tmp_path: Path) -> None:
    for name in ("001-a", "003-c", "notes", "04-short"):
        (tmp_path / name).mkdir()
    (tmp_path / "002-file.txt").write_text("")
    assert [(n, name) for n, name, _ in numbered_dirs(tmp_path)] == [(1, "a"), (3, "c")]
    assert numbered_dirs(tmp_path / "missing") == []
    for name in ("001.yaml", "002.yaml", "local.yaml", "003.yml"):
        (tmp_path / "001-a" / name).write_text("")
    assert sorted(numbered_files(tmp_path / "001-a")) == [1, 2]
