"""``hydra-runner doctor`` through real subprocesses."""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from hydra_runner import _compat
from tests.conftest import Project, Result


def _doctor(project: Project, *args: str, **env: str) -> Result:
    # A store of the test's own, so the outcome never depends on the caller's MLFLOW_TRACKING_URI.
    env.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{project.root / 'mlflow.db'}")
    return project.cli("doctor", *args, env=env)


def _closed_port() -> int:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        ok = self.path == "/health"
        self.send_response(200 if ok else 404)
        self.end_headers()
        self.wfile.write(b"OK" if ok else b"")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[str]:
    """An HTTP server on a loopback port answering ``/health`` as an MLflow server does."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_report_lists_hydra_runners_plugins_and_exits_0(project: Project) -> None:
    r = _doctor(project)
    assert r.code == 0, r.out + r.err
    for name in ("runner_pool*", "runner_ray*", "runner_optuna/optuna*", "runner_random/random*"):
        assert name in r.out
    assert "hydra-core" in r.out and "needs <1.5,>=1.3.2" in r.out and "no problems found" in r.out
    assert f"Hydra {_compat.HYDRA_VERSION}" in r.out


def test_gpus_follow_cuda_visible_devices(project: Project) -> None:
    two = _doctor(project, CUDA_VISIBLE_DEVICES="0,1")
    assert "2 (0,1) from CUDA_VISIBLE_DEVICES" in two.out
    none = _doctor(project, CUDA_VISIBLE_DEVICES="")
    assert "none (CUDA_VISIBLE_DEVICES='')" in none.out and none.code == 0


def test_unreachable_mlflow_server_is_a_problem_with_its_fix(project: Project) -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    r = _doctor(project, MLFLOW_TRACKING_URI=uri)
    assert r.code == 1
    assert "! mlflow" in r.out and f"the MLflow server at {uri} does not answer" in r.out
    assert "fix: start it (mlflow server" in r.out and "1 problem found" in r.out


def test_reachable_mlflow_server_is_fine(project: Project, health_server: str) -> None:
    r = _doctor(project, "--json", MLFLOW_TRACKING_URI=health_server)
    report = json.loads(r.out)
    mlflow = next(c for c in report["checks"] if c["name"] == "mlflow")
    assert r.code == 0 and report["ok"] is True and mlflow["problem"] is None
    assert mlflow["facts"]["tracking_uri"] == health_server and "answers" in mlflow["value"]


def test_json_holds_the_same_facts(project: Project) -> None:
    r = _doctor(project, "--json", CUDA_VISIBLE_DEVICES="0,1", MLFLOW_TRACKING_URI=f"http://127.0.0.1:{_closed_port()}")
    report = json.loads(r.out)
    checks = {c["name"]: c for c in report["checks"]}
    assert r.code == 1 and report["ok"] is False and report["problems"] == 1
    assert checks["gpus"]["facts"]["gpus"] == ["0", "1"] and checks["mlflow"]["fix"]
    assert checks["python"]["facts"]["executable"] and checks["hydra-core"]["facts"]["version"] == _compat.HYDRA_VERSION
    assert {o for p in checks["launchers"]["facts"]["plugins"] for o in p["options"]} >= {"runner_pool", "runner_ray"}


def test_help_documents_the_exit_code(project: Project) -> None:
    r = project.cli("doctor", "--help")
    assert r.code == 0 and "0 when no problem was found, 1 when at least one was" in r.out


def test_a_project_venv_without_hydra_runner_is_reported(project: Project) -> None:
    venv_bin = Path(project.root / ".venv" / "bin")
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").symlink_to(sys.executable)
    r = _doctor(project)
    assert r.code == 1 and f"{project.root.resolve() / '.venv'} has no hydra-runner" in r.out
    assert "-m pip install hydra-runner" in r.out


def test_plugins_that_exclude_the_installed_versions_are_reported(project: Project) -> None:
    # An installed hydra-optuna-sweeper 1.2 (its metadata): it pins an Optuna older than the one installed.
    site = project.root / "site"
    info = site / "hydra_optuna_sweeper-1.2.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hydra-optuna-sweeper\nVersion: 1.2.0\n"
                                   "Requires-Dist: hydra-core>=1.1.0.dev7\nRequires-Dist: optuna<3.0.0,>=2.10.0\n")
    (info / "RECORD").write_text("hydra_plugins/hydra_optuna_sweeper/__init__.py,,\n")
    r = _doctor(project, "--json", PYTHONPATH=str(site))
    report = json.loads(r.out)
    check = next(c for c in report["checks"] if c["name"] == "hydra plugins")
    assert r.code == 1 and "hydra-optuna-sweeper 1.2.0" in check["value"]
    assert check["facts"]["breaking"] == [
        f"hydra-optuna-sweeper 1.2.0 needs optuna<3.0.0,>=2.10.0, optuna {_installed('optuna')} is installed"]
    assert check["fix"].startswith("uninstall hydra-optuna-sweeper: hydra-runner runs configs written for it")


def _installed(name: str) -> str:
    from importlib import metadata

    return metadata.version(name)
