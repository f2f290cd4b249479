from __future__ import annotations

from pathlib import Path

from hydra_runner.scaffold.clone import MAX_FILE_BYTES, cloned_files


def _baseline(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    source = tmp_path / "001-baseline"
    for rel, content in files.items():
        path = source / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return source


def test_only_source_files_come_along_never_run_outputs(tmp_path: Path) -> None:
    source = _baseline(tmp_path, {
        "config.yaml": "defaults: []\n",
        "train.py": "print()\n",
        "utils/helpers.py": "X = 1\n",
        "exp/001.yaml": "name: x\n",
        "env/local.yaml": "base_model: m\n",
        "README.md": "notes\n",
        "outputs/2024-01-01/12-00-00/.hydra/config.yaml": "a: 1\n",
        "multirun/2024-01-01/12-00-00/0/result.json": "{}",
        "renamed_run_dir/.hydra/config.yaml": "a: 1\n",
        "sweep/journal.sqlite": b"\x00",
        "sweep/results.csv": "a\n",
        "output/001-baseline/metrics.json": "{}",
        ".venv/lib/site.py": "",
        "__pycache__/train.cpython-311.pyc": b"\x00",
        ".hidden.yaml": "a: 1\n",
        "train.log": "log\n",
        "model.ckpt": b"\x00\x01",
        "big.json": "x" * (MAX_FILE_BYTES + 1),
    })
    assert sorted(str(p) for p in cloned_files(source, "002-larger-model")) == [
        "README.md", "config.yaml", "env/local.yaml", "exp/001.yaml", "train.py", "utils/helpers.py",
    ]


def test_the_experiment_name_is_carried_over(tmp_path: Path) -> None:
    source = _baseline(tmp_path, {
        "train.py": 'output_dir = "output/001-baseline"\nother = "001-baseline-v2"\nmore = "x001-baseline"\n',
        "exp/001.yaml": 'name: "001-baseline"  # first\npath: output/001-baseline\n',
        "exp/002.yaml": 'name: "002-smaller-lr"\n',
    })
    files = {str(p): data.decode() for p, data in cloned_files(source, "002-larger-model").items()}
    assert files["train.py"] == (
        'output_dir = "output/002-larger-model"\nother = "001-baseline-v2"\nmore = "x001-baseline"\n'
    )
    # Parameter set 001 keeps its number: "001-larger-model", while paths take the new directory name.
    assert files["exp/001.yaml"] == 'name: "001-larger-model"  # first\npath: output/002-larger-model\n'
    assert files["exp/002.yaml"] == 'name: "002-smaller-lr"\n'
