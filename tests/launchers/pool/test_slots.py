"""Slot planning and GPU discovery, with fake device lists (this machine has no GPU)."""

from __future__ import annotations

import pytest

from hydra_runner.errors import UsageError
from hydra_runner.launchers.pool._slots import (
    detect_gpus,
    parse_gpus,
    plan_slots,
)
from hydra_runner.options.launchers import parse_n_jobs


@pytest.mark.parametrize(
    "visible, expected",
    [("0,1,3", ("0", "1", "3")), ("", ()), ("-1", ()), ("2,-1,3", ("2",)), ("GPU-abc,1", ("GPU-abc", "1"))],
)
def test_cuda_visible_devices_is_read_as_cuda_reads_it(visible: str, expected: tuple[str, ...]) -> None:
    assert detect_gpus({"CUDA_VISIBLE_DEVICES": visible}) == expected


def test_auto_gives_one_slot_per_gpu_group() -> None:
    slots = plan_slots("auto", gpus=("0", "1", "2", "3", "4"), gpus_per_job=2)
    assert [s.gpus for s in slots] == [("0", "1"), ("2", "3")]
    assert slots[1].environment() == {"CUDA_VISIBLE_DEVICES": "2,3"}


def test_auto_on_cpus_counts_cpus_per_job() -> None:
    assert len(plan_slots("auto", gpus=(), cpus_per_job=3, cpu_count=8)) == 2
    assert len(plan_slots("auto", gpus=(), cpu_count=8)) == 8
    assert plan_slots(3, gpus=("0",), cpu_count=1)[2].environment() == {}  # no GPU asked, none assigned


def test_explicit_count_and_parsing() -> None:
    assert len(plan_slots("4", gpus=(), cpu_count=2)) == 4
    assert parse_n_jobs(" auto ") == "auto" and parse_n_jobs("7") == 7
    assert parse_gpus("none") == () and parse_gpus(" 0, 2 ") == ("0", "2")


def test_more_gpu_jobs_than_gpus_is_refused() -> None:
    with pytest.raises(UsageError, match="need 4 GPUs, but 3 are available"):
        plan_slots(2, gpus=("0", "1", "2"), gpus_per_job=2)
