"""The fast YAML path writes exactly what OmegaConf.to_yaml writes."""

from __future__ import annotations

import random
import string

import pytest
import yaml
from omegaconf import OmegaConf
from omegaconf._utils import get_omega_conf_dumper

from hydra_runner.composition._yaml import config_to_yaml, dump

TRICKY = [
    "",
    "plain",
    "with space",
    "a: b",
    "- x",
    "#hash",
    "'single'",
    '"double"',
    "null",
    "true",
    "1.5",
    "???",
    "${a.b}",
    "tab\there",
    "line1\nline2",
    "trailing ",
    "word " * 40,
    "x" * 300,
    "héllo wörld " * 12,
    "日本語のテキスト" * 20,
    "emoji \U0001F600 here",
    "\x85next line",
    "\u2028line separator",
    "\ufeffbom",
    "\x07bell",
]


def _reference(data: object) -> str:
    return yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=False, Dumper=get_omega_conf_dumper())


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_as_values_and_keys(text: str) -> None:
    for data in ({"a": {"b": [text, {"c": text}]}}, [text], {text: 1}, {"k" * 130: text}):
        assert dump(data) == _reference(data)


def test_random_strings_match() -> None:
    rng = random.Random(7)
    alphabets = [string.printable, string.ascii_letters + " :-'\"#\\", "aé日\U0001F600 \n"]
    for _ in range(2000):
        alphabet = rng.choice(alphabets)
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, rng.choice([10, 90, 250]))))
        data = {"x": {"y": text, "z": [text, 1.5, None, True, float("inf")]}, (text[:120] or "k"): 2}
        assert dump(data) == _reference(data)


def test_config_to_yaml_is_omegaconf_to_yaml() -> None:
    cfg = OmegaConf.create({"a": "${b}", "b": [1, "two", {"c": None}], "d": "ü" * 50, "e": "???"})
    assert config_to_yaml(cfg) == OmegaConf.to_yaml(cfg)
