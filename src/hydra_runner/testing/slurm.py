"""A real single-node Slurm on this machine, started and stopped by tests.

Debian's ``slurm-wlm`` and ``munge`` supply the daemons; everything else lives in a temp dir
of its own: a munge key and socket, a generated ``slurm.conf`` (the machine's CPUs and
memory as ``slurmd -C`` reports them, process tracking without cgroups, no accounting),
state, spool, logs and free ports on loopback. ``munged``, ``slurmctld`` and ``slurmd`` run
as child processes in the foreground; nothing touches ``/etc`` or another Slurm on the
machine. Clients find the cluster through ``SLURM_CONF``: :attr:`SlurmCluster.env` holds it,
for the subprocesses a test runs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

__all__ = ["DAEMONS", "SlurmCluster", "missing_daemons"]

#: The programs a cluster needs, and the Debian package of each.
DAEMONS = {"munged": "munge", "slurmctld": "slurmctld", "slurmd": "slurmd", "sbatch": "slurm-client"}
NODE = "node1"
PARTITION = "debug"


def _which(name: str) -> Optional[str]:
    return shutil.which(name) or next((str(Path(d, name)) for d in ("/usr/sbin", "/sbin")
                                       if Path(d, name).exists()), None)


def missing_daemons() -> list[str]:
    """The programs of :data:`DAEMONS` this machine lacks."""
    return [name for name in DAEMONS if _which(name) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hardware() -> dict[str, str]:
    """The node's line as ``slurmd -C`` sees this machine (CPUs, sockets, cores, RealMemory)."""
    text = subprocess.run([_which("slurmd") or "slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"(\w+)=(\S+)", text.splitlines()[0]))
    fields.pop("NodeName", None)
    # A little under the total: slurmd drains a node whose memory is below what the config says.
    fields["RealMemory"] = str(int(int(fields.get("RealMemory", "1024")) * 0.9))
    return fields


class SlurmCluster:
    """munged + slurmctld + slurmd in a temp dir; :meth:`start`, then :meth:`stop`."""

    def __init__(self, *, extra_conf: str = "") -> None:
        # Short: munge's socket path lives under it.
        self.dir = Path(tempfile.mkdtemp(prefix="slurm", dir="/tmp"))
        self.conf = self.dir / "slurm.conf"
        self.socket = self.dir / "munge.socket"
        self.hardware = _hardware()
        self.extra_conf = extra_conf
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def env(self) -> dict[str, str]:
        """What a client (sbatch, squeue, hydra-runner) needs in its environment to use this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    @property
    def cpus(self) -> int:
        return int(self.hardware["CPUs"])

    def client_env(self) -> dict[str, str]:
        """This process's environment with the cluster's on top (for a subprocess)."""
        return {**os.environ, **self.env}

    def _write_config(self) -> None:
        key = self.dir / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o400)
        for sub in ("state", "spool", "log"):
            (self.dir / sub).mkdir()
        node = " ".join(f"{k}={v}" for k, v in self.hardware.items())
        self.conf.write_text(f"""\
ClusterName=hrtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
AuthInfo=socket={self.socket}
StateSaveLocation={self.dir}/state
SlurmdSpoolDir={self.dir}/spool
SlurmctldPidFile={self.dir}/slurmctld.pid
SlurmdPidFile={self.dir}/slurmd.pid
SlurmctldLogFile={self.dir}/log/slurmctld.log
SlurmdLogFile={self.dir}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1,defer_batch
MinJobAge=600
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=2
MessageTimeout=20
MpiDefault=none
DefMemPerCPU=256
MaxArraySize=10001
SlurmdParameters=config_overrides
{self.extra_conf}
NodeName={NODE} NodeHostname={socket.gethostname()} NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""")

    def start(self, *, timeout: float = 90) -> SlurmCluster:
        self._write_config()
        env = self.client_env()
        d = self.dir
        self._spawn("munged", [_which("munged"), "--foreground", "--force", f"--socket={self.socket}",
                               f"--key-file={d}/munge.key", f"--pid-file={d}/munged.pid",
                               f"--log-file={d}/log/munged.log", f"--seed-file={d}/munged.seed"], env)
        self._wait(lambda: self.socket.exists(), 20, "munged did not open its socket")
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-i", "-f", str(self.conf)], env)
        self._spawn("slurmd", [_which("slurmd"), "-D", "-N", NODE, "-f", str(self.conf)], env)
        self._wait(self._node_idle, timeout, "the node did not become idle")
        return self

    def _spawn(self, name: str, argv: list[Optional[str]], env: dict[str, str]) -> None:
        log = open(self.dir / "log" / f"{name}.out", "wb")
        self.processes[name] = subprocess.Popen([str(a) for a in argv], env=env, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)
        log.close()

    def _node_idle(self) -> bool:
        state = self.run("sinfo", "-h", "-N", "-o", "%T", check=False).stdout.strip()
        return state.rstrip("*") == "idle"

    def _wait(self, ready: object, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [name for name, p in self.processes.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{what}: {', '.join(dead)} exited\n{self.logs()}")
            if ready():  # type: ignore[operator]
                return
            time.sleep(0.3)
        raise RuntimeError(f"{what} within {timeout:g} s\n{self.logs()}")

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A Slurm client command against this cluster."""
        return subprocess.run(list(argv), env=self.client_env(), capture_output=True, text=True, check=check,
                              timeout=60)

    def logs(self) -> str:
        parts = []
        for path in sorted((self.dir / "log").glob("*")):
            lines = path.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def stop(self) -> None:
        # Jobs first, so no job outlives the cluster that ran it.
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            self.run("scancel", "--full", "-u", "root", check=False)
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
