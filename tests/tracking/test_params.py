"""A config as MLflow params: dotted keys, lists by index, limits, secrets."""

from __future__ import annotations

from omegaconf import OmegaConf

from hydra_runner.tracking.params import (
    MASK,
    MAX_VALUE_LENGTH,
    flatten_params,
    param_batches,
)


def test_nested_config_becomes_dotted_keys_with_lists_by_index() -> None:
    cfg = OmegaConf.create({"model": {"layers": [64, 32], "act": "relu"}, "lr": 0.1, "empty": {}, "none": None,
                            "ref": "${lr}"})
    assert flatten_params(cfg) == {
        "model.layers.0": "64", "model.layers.1": "32", "model.act": "relu", "lr": "0.1",
        "empty": "{}", "none": "None", "ref": "0.1",
    }


def test_secrets_are_masked_whatever_the_case_and_depth() -> None:
    cfg = {"db": {"Password": "hunter2", "host": "x"}, "API_KEY": "k", "auth": {"token": {"value": "t"}},
           "aws_credentials": ["a", "b"], "client_secret": "s"}
    params = flatten_params(cfg)
    assert params["db.host"] == "x"
    masked = {k for k, v in params.items() if v == MASK}
    assert masked == {"db.Password", "API_KEY", "auth.token.value", "aws_credentials.0", "aws_credentials.1",
                      "client_secret"}
    assert "hunter2" not in params.values()


def test_long_values_are_cut_with_a_marker_and_keys_cleaned() -> None:
    params = flatten_params({"text": "x" * 10_000, "odd key!": 1, "a": {"b@c": 2}})
    assert len(params["text"]) == MAX_VALUE_LENGTH and params["text"].endswith("...[truncated]")
    assert params["odd key_"] == "1" and params["a.b_c"] == "2"


def test_params_go_in_batches_of_at_most_100() -> None:
    batches = list(param_batches({f"k{i}": str(i) for i in range(250)}))
    assert [len(b) for b in batches] == [100, 100, 50]
