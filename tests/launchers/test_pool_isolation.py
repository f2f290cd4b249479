"""Jobs on a reused pool worker behave as if each ran alone."""

from __future__ import annotations

import json

import pytest

from ..conftest import Project

APP = """
    import json, logging, multiprocessing, os, sys
    import hydra
    from hydra.core.config_store import ConfigStore
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import DictConfig

    def square(v):
        return v * v

    @hydra.main(version_base="1.3", config_path="conf", config_name="config")
    def main(cfg: DictConfig) -> None:
        seen = {
            "pid": os.getpid(),
            "env": os.environ.get("LEAKY"),
            "cwd": os.getcwd(),
            "argv": list(sys.argv),
            "root_handlers": len(logging.getLogger().handlers),
            "stored": "leaky_config" in ConfigStore.instance().repo,
            "job_name": HydraConfig.get().job.name,
            "output_dir": HydraConfig.get().runtime.output_dir,
        }
        if cfg.work == "multiprocessing":
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                seen["result"] = pool.map(square, [1, 2, 3])
        elif cfg.work == "fork":
            with multiprocessing.get_context("fork").Pool(2) as pool:
                seen["result"] = pool.map(square, [1, 2, 3])
        elif cfg.work == "joblib":
            from joblib import Parallel, delayed
            seen["result"] = Parallel(n_jobs=-1)(delayed(square)(v) for v in [1, 2, 3])
        os.environ["LEAKY"] = "yes"
        os.chdir("/")
        sys.argv.append("--leaky")
        logging.getLogger().addHandler(logging.StreamHandler())
        ConfigStore.instance().store(name="leaky_config", node={"a": 1})
        with open(os.path.join(seen["output_dir"], "seen.json"), "w") as f:
            json.dump(seen, f)

    if __name__ == "__main__":
        main()
"""


@pytest.fixture
def app(project: Project) -> Project:
    return project.write({"app.py": APP, "conf/config.yaml": "work: none\n"})


def _seen(project: Project) -> list[dict]:  # type: ignore[type-arg]
    paths = sorted(project.root.glob("multirun/*/*/*/seen.json"), key=lambda p: int(p.parent.name))
    return [json.loads(p.read_text()) for p in paths]


def test_nothing_leaks_from_one_job_to_the_next(app: Project) -> None:
    r = app.cli("multirun", "app.py", "+i=0,1,2", "-j", "1")
    assert r.code == 0, r.err
    seen = _seen(app)
    assert len(seen) == 3 and len({s["pid"] for s in seen}) == 1  # one reused worker
    first = seen[0]
    for later in seen[1:]:
        assert later["env"] is None
        assert later["cwd"] == first["cwd"] == str(app.root)
        assert later["argv"] == first["argv"] and "--leaky" not in later["argv"]
        assert later["root_handlers"] == first["root_handlers"]
        assert later["stored"] is False
        assert later["job_name"] == "app"


@pytest.mark.parametrize("work", ["multiprocessing", "fork", "joblib"])
def test_jobs_may_start_processes_of_their_own(app: Project, work: str) -> None:
    r = app.cli("multirun", "app.py", f"work={work}", "+i=0,1", "-j", "2")
    assert r.code == 0, r.err
    assert [s["result"] for s in _seen(app)] == [[1, 4, 9], [1, 4, 9]]
