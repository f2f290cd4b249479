"""Hydra's own launcher test suites, run against ``hydra/launcher=runner_pool``.

This is how Hydra's launcher plugins test themselves (see ``hydra_joblib_launcher``'s
``tests/test_joblib_launcher.py``): the suites come from
``hydra.test_utils.launcher_common_tests`` and their fixtures (``hydra_sweep_runner``,
``hydra_restore_singletons``) from the pytest plugin shipped in the hydra-core wheel.

* ``LauncherTestSuite`` runs sweeps in this process through ``Hydra.multirun``; the
  launcher starts real worker processes, so the task function (the suite's
  ``SweepTaskFunction``) and the config cross a process boundary.
* ``IntegrationTestSuite`` writes a ``@hydra.main`` script and runs it with ``-m`` in a
  subprocess; the plugin is found there because hydra-runner is installed (editable) in
  the interpreter running the tests.
"""

from __future__ import annotations

import importlib
from typing import Iterator

import pytest
from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
from hydra.test_utils.launcher_common_tests import (
    IntegrationTestSuite,
    LauncherTestSuite,
)

from hydra_runner import _compat

LAUNCHER = "runner_pool"
PLUGIN_MODULE = "hydra_plugins.hydra_runner_plugins"
# Two workers: every two-job sweep of the suites really runs its jobs in parallel.
N_JOBS = "hydra.launcher.n_jobs=2"


def test_discovery() -> None:
    # Hydra finds the launcher through its plugin discovery, as it does for joblib's.
    names = [cls.__name__ for cls in Plugins.instance().discover(Launcher)]
    assert "RunnerPoolLauncher" in names
    assert ConfigStore.instance().load(f"hydra/launcher/{LAUNCHER}.yaml") is not None


@pytest.fixture(autouse=True)
def _fresh_version_base() -> Iterator[None]:
    """The suites expect a fresh process's version base (unspecified: 1.1 behaviour, chdir on).

    ``hydra.initialize(version_base=...)`` in other tests of the same pytest process sets it
    for good; Hydra's own plugins run their suites in a process of their own.
    """
    with _compat.fresh_version_base():
        yield


@pytest.fixture(autouse=True)
def plugin_module() -> str:
    """The package the launcher plugin lives in (the integration suite's parameter overrides it).

    Hydra 1.3's suite methods take no ``plugin_module`` argument, and pytest refuses to
    parametrize a name no test uses; as an autouse fixture it can be parametrized the way
    Hydra's plugins do, and :func:`_launcher_lives_in_plugin_module` checks it.
    """
    return PLUGIN_MODULE


@pytest.fixture(autouse=True)
def _launcher_lives_in_plugin_module(plugin_module: str) -> None:
    importlib.import_module(plugin_module)
    launchers = {cls.__name__: cls for cls in Plugins.instance().discover(Launcher)}
    assert launchers["RunnerPoolLauncher"].__module__.startswith(plugin_module + ".")


# The suite's sweeps go to pytest's tmpdir, but the sweep journal also lists every sweep in
# the project index under the working directory (.hydra-runner/sweeps): run from a scratch
# directory so that the repository's own index is left alone.
@pytest.mark.usefixtures("in_tmp_cwd")
@pytest.mark.parametrize("launcher_name, overrides", [(LAUNCHER, [N_JOBS])])
class TestRunnerPoolLauncher(LauncherTestSuite):
    """Hydra's launcher test suite, in process, jobs in two worker processes."""


# As hydra_joblib_launcher parametrizes it for Hydra 1.3: the launcher is chosen on the
# command line. (Choosing it in the task's config.yaml as ``defaults: [{hydra/launcher: ...}]``,
# the older form, fails under Hydra 1.3 for every launcher, joblib's included: "Multiple
# values for hydra/job_logging ... use 'override'".)
@pytest.mark.parametrize(
    "task_launcher_cfg, extra_flags, plugin_module",
    [
        (
            {},
            [
                "-m",
                "hydra/job_logging=hydra_debug",
                "hydra/job_logging=disabled",
                f"hydra/launcher={LAUNCHER}",
                N_JOBS,
            ],
            PLUGIN_MODULE,
        )
    ],
)
class TestRunnerPoolLauncherIntegration(IntegrationTestSuite):
    """Hydra's integration test suite: ``@hydra.main`` scripts run with ``-m`` in a subprocess."""
