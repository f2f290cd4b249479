"""The install command a fix line prints works in an environment without pip (as uv makes them)."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import venv
import zipfile
from pathlib import Path

import pytest

from hydra_runner._install import install_command

REPO = Path(__file__).resolve().parents[1]


def _wheel(directory: Path) -> Path:
    """A one-module wheel, built by hand: installing it needs no build backend from the index."""
    files = {
        "fixdemo/__init__.py": "VALUE = 42\n",
        "fixdemo-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: fixdemo\nVersion: 0.1\n",
        "fixdemo-0.1.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    lines = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        lines.append(f"{name},sha256={digest},{len(text.encode())}")
    lines.append("fixdemo-0.1.dist-info/RECORD,,")
    path = directory / "fixdemo-0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
        wheel.writestr("fixdemo-0.1.dist-info/RECORD", "\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("with_uv", [False, True], ids=["ensurepip", "uv"])
def test_the_printed_command_installs_into_an_environment_without_pip(tmp_path: Path, with_uv: bool,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    uv_dir = REPO / ".tools" / "bin"
    if with_uv:
        assert (uv_dir / "uv").exists(), "dev.py setup installs uv into .tools/"
        monkeypatch.setenv("PATH", f"{uv_dir}{os.pathsep}{os.environ['PATH']}")
    else:
        monkeypatch.setenv("PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                                   if not (Path(p) / "uv").exists()))
    command = install_command(str(_wheel(tmp_path)), python)
    assert ("uv pip install --python" in command) if with_uv else command.startswith(f"{python} -m ensurepip && ")
    done = subprocess.run(command, shell=True, capture_output=True, text=True,
                          env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", "PIP_NO_INDEX": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    imported = subprocess.run([python, "-c", "import fixdemo; print(fixdemo.VALUE)"], capture_output=True, text=True)
    assert imported.stdout.strip() == "42"


def test_an_environment_with_pip_gets_pips_own_command(tmp_path: Path) -> None:
    venv.EnvBuilder(with_pip=True).create(tmp_path / "env")
    python = tmp_path / "env" / "bin" / "python"
    assert install_command("fixdemo", python) == f"{python} -m pip install fixdemo"
