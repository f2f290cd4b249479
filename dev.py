#!/usr/bin/env python3
"""Set up and use the project with nothing but python3 and the package registries.

    python3 dev.py demo     install into .venv, then run the demo sweep in examples/quickstart
    python3 dev.py test     install into .venv, then run the whole test suite

Installation is from the committed uv.lock (uv itself is installed into .tools/). Before the
tests, the system packages of the local Slurm the Slurm tests start (slurm-wlm, munge) are
installed with apt-get where they are missing and this runs as root.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
VENV = ROOT / ".venv"
UV_VERSION = "0.13.9"
BIN = "Scripts" if os.name == "nt" else "bin"


def _run(cmd: list[str], **kwargs: object) -> int:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], **kwargs)  # type: ignore[arg-type]


def setup() -> None:
    uv = TOOLS / BIN / "uv"
    if not uv.exists():
        venv.EnvBuilder(with_pip=True).create(TOOLS)
        if _run([TOOLS / BIN / "python", "-m", "pip", "install", "-q", f"uv=={UV_VERSION}"]) != 0:
            sys.exit("could not install uv from the package index")
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never", UV_PROJECT_ENVIRONMENT=str(VENV))
    cmd = [uv, "sync", "--frozen", "--all-extras", "--python", sys.executable]
    # Bytecode is compiled at install time, as pip does, so start-up does not depend on
    # whether Python may write .pyc files; uv recompiles everything when asked, so only
    # when the lock file changed since the last time.
    lock_hash = hashlib.sha256((ROOT / "uv.lock").read_bytes()).hexdigest()
    stamp = VENV / ".compiled-for-lock"
    compiled = stamp.exists() and stamp.read_text() == lock_hash
    if not compiled:
        cmd.append("--compile-bytecode")
    if _run(cmd, cwd=ROOT, env=env) != 0:
        sys.exit("dependency installation failed (see above)")
    if not compiled:
        stamp.write_text(lock_hash)
    # The project itself is installed editable: compile it too, as an installed wheel would be.
    subprocess.call([VENV / BIN / "python", "-m", "compileall", "-q", str(ROOT / "src")])


def demo() -> int:
    example = ROOT / "examples" / "quickstart"
    runner = VENV / BIN / "hydra-runner"
    steps = [
        [runner, "run", "src.train"],
        [runner, "multirun", "src.train", "model=linear,mlp", "optimizer.lr=0.01,0.05,0.1", "-j", "2"],
        [runner, "results", "--sort", "value"],
    ]
    for step in steps:
        code = _run(step, cwd=example)
        if code != 0:
            return code
    return 0


#: Programs the Slurm tests run, and the Debian packages that bring them.
SLURM_PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch")
SLURM_PACKAGES = ("slurm-wlm", "munge")


def system_packages() -> None:
    """Install Slurm and munge for the tests' local cluster where they are missing (root + apt only)."""
    found = [shutil.which(p) or any(Path(d, p).exists() for d in ("/usr/sbin", "/sbin")) for p in SLURM_PROGRAMS]
    if all(found):
        return
    why = ("apt-get is not available" if shutil.which("apt-get") is None
           else "this is not root" if not hasattr(os, "geteuid") or os.geteuid() != 0 else None)
    if why is not None:
        print(f"not installing {' '.join(SLURM_PACKAGES)} ({why}): the Slurm tests will be skipped", flush=True)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if (_run(["apt-get", "update", "-q"], env=env) != 0
            or _run(["apt-get", "install", "-y", "-q", *SLURM_PACKAGES], env=env) != 0):
        print(f"could not install {' '.join(SLURM_PACKAGES)}: the Slurm tests will be skipped", flush=True)


def test(extra: list[str]) -> int:
    system_packages()
    cmd = [VENV / BIN / "python", "-m", "pytest", "-n", "2", "--dist", "loadgroup", *extra]
    code = _run(cmd, cwd=ROOT)
    if code == 5:
        print("error: no test ran", file=sys.stderr)
        return 1
    return code


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test", "setup"):
        print(__doc__)
        return 2
    setup()
    if sys.argv[1] == "demo":
        return demo()
    if sys.argv[1] == "test":
        return test(sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
