#!/usr/bin/env python3
"""Set up and use the project with nothing but python3 and the package registries.

    python3 dev.py demo     install into .venv, then run the demo sweep in examples/quickstart
    python3 dev.py test     install into .venv, then run the whole test suite there, then
                            again in .venv-hydra14 (the same lock, Hydra's next release)
    python3 dev.py test --env=locked|hydra14 [pytest args]   one environment only
    python3 dev.py demo --env=hydra14                        the demo on Hydra's next release

Installation is from the committed uv.lock (uv itself is installed into .tools/). .venv-hydra14
is installed from it too, then gets the exact Hydra/OmegaConf pre-releases pinned below. Before
the tests, the system packages of the local Slurm the Slurm tests start (slurm-wlm, munge) are
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
VENV_NEXT = ROOT / ".venv-hydra14"
UV_VERSION = "0.13.9"
# The newest Hydra 1.4 pre-release and the OmegaConf it needs; bump both when a newer one ships.
NEXT_HYDRA = ("hydra-core==1.4.0rc3", "omegaconf==2.4.1rc2")
BIN = "Scripts" if os.name == "nt" else "bin"


def _run(cmd: list[str], **kwargs: object) -> int:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], **kwargs)  # type: ignore[arg-type]


def _uv() -> Path:
    uv = TOOLS / BIN / "uv"
    if not uv.exists():
        venv.EnvBuilder(with_pip=True).create(TOOLS)
        if _run([TOOLS / BIN / "python", "-m", "pip", "install", "-q", f"uv=={UV_VERSION}"]) != 0:
            sys.exit("could not install uv from the package index")
    return uv


def setup(target: Path = VENV) -> None:
    uv = _uv()
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never", UV_PROJECT_ENVIRONMENT=str(target))
    cmd = [uv, "sync", "--frozen", "--all-extras", "--python", sys.executable]
    # Bytecode is compiled at install time, as pip does, so start-up does not depend on
    # whether Python may write .pyc files; uv recompiles everything when asked, so only
    # when the lock file changed since the last time.
    lock_hash = hashlib.sha256((ROOT / "uv.lock").read_bytes()).hexdigest()
    stamp = target / ".compiled-for-lock"
    compiled = stamp.exists() and stamp.read_text() == lock_hash
    if not compiled:
        cmd.append("--compile-bytecode")
    if _run(cmd, cwd=ROOT, env=env) != 0:
        sys.exit("dependency installation failed (see above)")
    if not compiled:
        stamp.write_text(lock_hash)
    # The project itself is installed editable: compile it too, as an installed wheel would be.
    subprocess.call([target / BIN / "python", "-m", "compileall", "-q", str(ROOT / "src")])


def setup_next() -> None:
    """.venv-hydra14: the locked environment with Hydra's next release in place of 1.3.

    ``uv sync`` puts back the locked Hydra each time, so the pins are installed after it, every time
    (a no-op download-wise: uv caches the wheels).
    """
    setup(VENV_NEXT)
    cmd = [_uv(), "pip", "install", "-q", "--python", VENV_NEXT / BIN / "python", "--prerelease=allow",
           "--compile-bytecode", *NEXT_HYDRA]
    if _run(cmd, cwd=ROOT, env=dict(os.environ, UV_PYTHON_DOWNLOADS="never")) != 0:
        sys.exit("could not install " + " ".join(NEXT_HYDRA))


def demo(target: Path = VENV) -> int:
    example = ROOT / "examples" / "quickstart"
    runner = target / BIN / "hydra-runner"
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


def test(extra: list[str], target: Path = VENV) -> int:
    system_packages()
    cmd = [target / BIN / "python", "-m", "pytest", "-n", "2", "--dist", "loadgroup", *extra]
    code = _run(cmd, cwd=ROOT)
    if code == 5:
        print("error: no test ran", file=sys.stderr)
        return 1
    return code


def test_all(extra: list[str]) -> int:
    """The suite against the locked Hydra, then against the next one; both must pass."""
    envs = {"locked": VENV, "hydra14": VENV_NEXT}
    chosen = [a.partition("=")[2] for a in extra if a.startswith("--env=")]
    extra = [a for a in extra if not a.startswith("--env=")]
    names = chosen or list(envs)
    if any(n not in envs for n in names):
        print(f"error: --env takes one of {', '.join(envs)}", file=sys.stderr)
        return 2
    codes = {}
    for name in names:
        (setup if name == "locked" else setup_next)()
        print(f"=== test suite in {envs[name].name} ===", flush=True)
        codes[name] = test(extra, envs[name])
    for name, code in codes.items():
        print(f"{envs[name].name}: {'passed' if code == 0 else f'failed (exit {code})'}")
    return next((c for c in codes.values() if c != 0), 0)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test", "setup"):
        print(__doc__)
        return 2
    if sys.argv[1] == "test":
        return test_all(sys.argv[2:])
    if sys.argv[1] == "demo" and "--env=hydra14" in sys.argv[2:]:
        setup_next()
        return demo(VENV_NEXT)
    setup()
    if sys.argv[1] == "demo":
        return demo()
    return 0


if __name__ == "__main__":
    sys.exit(main())
