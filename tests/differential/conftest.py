"""Fixtures and case parametrisation for the differential tests.

Every test module defines ``CASES`` (a list of :class:`_harness.Case`) and a
test taking a ``case`` argument; the cases are parametrised here by id.
"""

from __future__ import annotations

import pytest

from ._harness import Project


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = getattr(metafunc.module, "CASES")
        ids = [c.id for c in cases]
        duplicates = {i for i in ids if ids.count(i) > 1}
        assert not duplicates, f"duplicate case ids: {sorted(duplicates)}"
        metafunc.parametrize("case", cases, ids=ids)


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "proj", tmp_path / "record.jsonl")
