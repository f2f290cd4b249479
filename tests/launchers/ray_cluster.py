"""A real multi-node Ray cluster on this machine, for the tests that need one.

Every node is a ``ray start --block`` in its own process group, listening on 127.0.0.2 (a
loopback address that Ray does not swap for the machine's public one, as it does 127.0.0.1),
with every port chosen free, and Ray's files in a temp dir of its own: nothing reaches or
disturbs another Ray on the machine. The cluster uses token authentication, as a shared
cluster should; ``env`` holds what a client needs to join it. Each node's processes carry
``TEST_RAY_NODE=<name>`` in their environment, so a job can say where it ran, and Ray knows the
node by that name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Optional

NODE_IP = "127.0.0.2"
_RAY = str(Path(sys.executable).with_name("ray"))
_STARTED = "This command will now block forever"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((NODE_IP, 0))
        return int(s.getsockname()[1])


def _node_ports() -> list[str]:
    # Several nodes on one machine must not share the ports Ray otherwise fixes.
    flags = ["--node-manager-port", "--object-manager-port", "--dashboard-agent-grpc-port",
             "--dashboard-agent-listen-port", "--metrics-export-port", "--runtime-env-agent-port"]
    return [f"{flag}={_free_port()}" for flag in flags]


class RayCluster:
    """A head node and any number of worker nodes, started and stopped by the tests."""

    def __init__(self) -> None:
        # Short: Ray's socket paths live under it and must fit in 107 characters.
        self.temp = Path(tempfile.mkdtemp(prefix="rc", dir="/tmp"))
        self.mark = uuid.uuid4().hex
        self.env = {
            "RAY_TMPDIR": str(self.temp),
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": uuid.uuid4().hex + uuid.uuid4().hex,
            "RAY_USAGE_STATS_ENABLED": "0",
        }
        self.gcs_port = _free_port()
        self.dashboard_port = _free_port()
        self.nodes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def address(self) -> str:
        return f"{NODE_IP}:{self.gcs_port}"

    @property
    def dashboard(self) -> str:
        return f"http://{NODE_IP}:{self.dashboard_port}"

    def start_head(self, *, num_cpus: int, num_gpus: int = 0) -> None:
        self._start("head", [
            "--head", f"--port={self.gcs_port}", f"--dashboard-host={NODE_IP}",
            f"--dashboard-port={self.dashboard_port}", f"--ray-client-server-port={_free_port()}",
            f"--num-cpus={num_cpus}", f"--num-gpus={num_gpus}",
        ])

    def add_node(self, name: str, *, num_cpus: int, resources: Optional[dict[str, float]] = None) -> None:
        import json

        flags = [f"--address={self.address}", f"--num-cpus={num_cpus}"]
        if resources:
            flags.append(f"--resources={json.dumps(resources)}")
        self._start(name, flags)

    def kill_node(self, name: str) -> None:
        """What a machine going away looks like: every process of the node dies at once."""
        self._signal(self.nodes.pop(name), signal.SIGKILL)

    def stop(self) -> None:
        # Nothing of a test cluster is worth a graceful shutdown: `ray start` takes tens of
        # seconds to wind a node down on SIGTERM.
        for name in list(self.nodes):
            self._signal(self.nodes.pop(name), signal.SIGKILL)
        for _ in range(50):
            leftovers = self.leftover_processes()
            if not leftovers:
                break
            for pid in leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        shutil.rmtree(self.temp, ignore_errors=True)

    def leftover_processes(self) -> list[int]:
        pids = []
        for environ in Path("/proc").glob("[0-9]*/environ"):
            try:
                if self.mark.encode() in environ.read_bytes():
                    pids.append(int(environ.parent.name))
            except OSError:
                pass
        return pids

    def _start(self, name: str, flags: list[str]) -> None:
        log = self.temp / f"{name}.log"
        command = [_RAY, "start", "--block", f"--node-ip-address={NODE_IP}", f"--node-name={name}",
                   f"--temp-dir={self.temp}",
                   "--disable-usage-stats", *_node_ports(), *flags]
        # As on a real cluster, the Python that has the project's packages is the one on PATH
        # (Ray jobs' entrypoints say `python ...`).
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        env = {**os.environ, **self.env, "PATH": path, "TEST_RAY_NODE": name, "TEST_RAY_CLUSTER": self.mark}
        with open(log, "wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                       start_new_session=True)
        self.nodes[name] = process
        # A hang guard, not a performance limit: a node that never comes up fails the fixture.
        deadline = time.monotonic() + 180
        while _STARTED not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray node {name!r} did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], sig: int) -> None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait()
