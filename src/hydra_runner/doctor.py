"""What hydra-runner finds in this environment, and each problem with its fix.

Every check returns a :class:`Check`; :func:`run_checks` runs them all. Optional packages
(Optuna, MLflow, Ray, matplotlib) are looked up in the installed metadata, never imported,
and Ray is never started: a check only reads the environment and asks a tracking server
once, with a short timeout.

>>> from hydra_runner.doctor import run_checks
>>> any(check.name == "hydra-core" for check in run_checks())
True
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import warnings
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Optional

from hydra_runner._install import install_command

__all__ = ["Check", "gpu_check", "mlflow_check", "plugin_checks", "run_checks", "slurm_check", "venv_check"]

DIST = "hydra-runner"
HTTP_TIMEOUT = 3.0
PLUGIN_PACKAGE = "hydra_plugins.hydra_runner_plugins"


@dataclass(frozen=True)
class Check:
    """One fact about the environment; ``problem`` and ``fix`` are set when it is wrong."""

    name: str
    value: str
    problem: Optional[str] = None
    fix: Optional[str] = None
    section: str = "environment"
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- Python and the required packages ------------------------------------------------------------


def _requirements() -> list[Any]:
    from packaging.requirements import Requirement

    try:
        return [Requirement(line) for line in metadata.requires(DIST) or []]
    except metadata.PackageNotFoundError:
        return []


def _installed(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _extra_of(requirement: Any) -> Optional[str]:
    found = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", str(requirement.marker or ""))
    return found.group(1) if found else None


def python_checks() -> list[Check]:
    from hydra_runner import __version__

    version = ".".join(map(str, sys.version_info[:3]))
    checks = [Check("python", f"{version} at {sys.executable}", facts={"version": version, "executable": sys.executable})]
    location = str(Path(__file__).resolve().parent)
    installed = _installed(DIST)
    checks.append(Check(
        DIST, f"{__version__} at {location}", facts={"version": __version__, "location": location},
        problem=None if installed else "hydra-runner runs from source without being installed",
        fix=None if installed else "pip install -e . in its clone (Hydra finds its plugins only when installed)",
    ))
    return checks


def requirement_checks(names: tuple[str, ...] = ("hydra-core", "omegaconf")) -> list[Check]:
    """The installed versions of ``names`` against what hydra-runner requires."""
    wanted = {r.name: r for r in _requirements() if _extra_of(r) is None}
    checks = []
    for name in names:
        version = _installed(name)
        requirement = wanted.get(name)
        needs = str(requirement.specifier) if requirement is not None else ""
        facts = {"version": version, "required": needs or None}
        value = f"{version or 'not installed'}" + (f" (needs {needs})" if needs else "")
        if version is None or (requirement is not None and not requirement.specifier.contains(version, prereleases=True)):
            checks.append(Check(name, value, problem=f"{name} {version or 'is missing'}: hydra-runner needs {needs}",
                                fix=install_command(f"{name}{needs}"), facts=facts))
        else:
            checks.append(Check(name, value, facts=facts))
    return checks


def extra_checks() -> list[Check]:
    """Each optional extra (``hydra-runner[optuna]``, ...): installed, in a version that fits?"""
    checks = []
    for requirement in _requirements():
        extra = _extra_of(requirement)
        if extra is None:
            continue
        version = _installed(requirement.name)
        needs = str(requirement.specifier)
        facts = {"package": requirement.name, "version": version, "required": needs or None}
        install = install_command(f"hydra-runner[{extra}]")
        if version is None:
            checks.append(Check(f"[{extra}]", f"not installed ({install})", section="extras", facts=facts))
        elif requirement.specifier.contains(version, prereleases=True):
            checks.append(Check(f"[{extra}]", f"{requirement.name} {version}", section="extras", facts=facts))
        else:
            checks.append(Check(f"[{extra}]", f"{requirement.name} {version} (needs {needs})", section="extras", facts=facts,
                                problem=f"{requirement.name} {version} is too old or too new: needs {needs}",
                                fix=install))
    return checks


# -- Hydra's plugins ------------------------------------------------------------------------------


def _plugin_kinds() -> list[tuple[str, type, Optional[str]]]:
    from hydra.plugins.completion_plugin import CompletionPlugin
    from hydra.plugins.config_source import ConfigSource
    from hydra.plugins.launcher import Launcher
    from hydra.plugins.search_path_plugin import SearchPathPlugin
    from hydra.plugins.sweeper import Sweeper

    return [("launchers", Launcher, "hydra/launcher"), ("sweepers", Sweeper, "hydra/sweeper"),
            ("completion", CompletionPlugin, None), ("search path", SearchPathPlugin, None),
            ("config sources", ConfigSource, None)]


def _option_names(group: Optional[str]) -> dict[str, list[str]]:
    """Class path -> the ``hydra/<group>=NAME`` options that select it (from the ConfigStore)."""
    from hydra.core.config_store import ConfigStore

    names: dict[str, list[str]] = {}
    node: Any = ConfigStore.instance().repo
    for part in (group or "").split("/") if group else []:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    for filename, entry in (node.items() if isinstance(node, dict) else []):
        target = getattr(entry, "node", None) is not None and entry.node.get("_target_")
        if target and filename.endswith(".yaml"):
            names.setdefault(str(target), []).append(filename[: -len(".yaml")])
    return names


def plugin_checks() -> list[Check]:
    """The plugins Hydra's own scan finds, by kind, and whether hydra-runner's are among them."""
    from hydra.core.plugins import Plugins

    from hydra_runner.sweepers import register_short_names

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plugins = Plugins.instance()
        register_short_names()  # optuna / random: what hydra-runner's sweepers are called inside it
    checks, ours = [], 0
    for kind, base, group in _plugin_kinds():
        options = _option_names(group)
        found = []
        for cls in plugins.discover(base):  # type: ignore[arg-type]
            path = f"{cls.__module__}.{cls.__qualname__}"
            own = cls.__module__.startswith(PLUGIN_PACKAGE)
            ours += own
            found.append({"class": path, "options": options.get(path, []),
                          "hydra_runner": own})
        shown = [("/".join(p["options"]) or p["class"].rsplit(".", 1)[-1]) + ("*" if p["hydra_runner"] else "")
                 for p in found]
        checks.append(Check(kind, ", ".join(shown) or "(none)", section="plugins", facts={"plugins": found}))
    broken = [str(w.message).strip() for w in caught if "Error importing" in str(w.message)]
    problem = None
    if broken:
        problem = "a plugin failed to import: " + " | ".join(" ".join(b.split()) for b in broken)
    elif not ours:
        problem = f"Hydra finds none of hydra-runner's plugins ({PLUGIN_PACKAGE})"
    checks.append(Check(
        "plugin scan", f"{sum(len(c.facts['plugins']) for c in checks)} plugins, {ours} of them hydra-runner's (*)",
        section="plugins", problem=problem, facts={"import_errors": broken},
        fix=None if problem is None else (
            "upgrade or uninstall the plugin named above" if broken
            else "install hydra-runner into this environment (pip install hydra-runner, or pip install -e . from its clone)"),
    ))
    return checks


def _plugin_distributions() -> list[Any]:
    """Installed distributions (other than hydra-core and hydra-runner) that put modules in ``hydra_plugins``."""
    found = []
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name in ("hydra-core", DIST) or not name:
            continue
        files = dist.files or []
        if any(str(f).startswith("hydra_plugins/") for f in files):
            found.append(dist)
    return sorted(found, key=lambda d: d.metadata["Name"].lower())


def plugin_compat_check() -> Check:
    """The Hydra in use, and installed plugins that declare they do not work with what is installed.

    A plugin that excludes the installed hydra-core (or OmegaConf, Optuna, Ray...) is known to
    break; those hydra-runner takes over (hydra-optuna-sweeper, hydra-ray-launcher) can be uninstalled.
    """
    from packaging.requirements import Requirement

    from hydra_runner import _compat
    from hydra_runner.plugin_compat import taken_over_plugins

    hydra = f"Hydra {_compat.HYDRA_VERSION}" + (" (1.4 behaviour)" if _compat.HYDRA_1_4 else "")
    breaking, plugins = [], []
    for dist in _plugin_distributions():
        name, version = dist.metadata["Name"], dist.version
        plugins.append(f"{name} {version}")
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            installed = _installed(requirement.name)
            if installed is not None and not requirement.specifier.contains(installed, prereleases=True):
                breaking.append(f"{name} {version} needs {requirement.name}{requirement.specifier}, "
                                f"{requirement.name} {installed} is installed")
    problem = fix = None
    if breaking:
        problem = "plugins known to break here: " + "; ".join(breaking)
        own = sorted({p for p in taken_over_plugins() if any(b.startswith(p + " ") for b in breaking)})
        fix = ("uninstall " + " and ".join(own) + ": hydra-runner runs configs written for it without it"
               if own else "upgrade or uninstall the plugins named above")
    return Check("hydra plugins", f"{hydra}; " + (", ".join(plugins) or "no third-party plugins"),
                 section="plugins", problem=problem, fix=fix,
                 facts={"hydra": _compat.HYDRA_VERSION, "plugins": plugins, "breaking": breaking})


# -- GPUs, tracking, Ray, Slurm, the project's venv -----------------------------------------------------


def gpu_check(environ: Optional[Mapping[str, str]] = None) -> Check:
    """The GPUs a sweep's slots would get, read the way the process pool reads them."""
    from hydra_runner.errors import UsageError
    from hydra_runner.launchers.pool._slots import detect_gpus, parse_gpus

    environ = os.environ if environ is None else environ
    gpus = detect_gpus(environ)
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    source = "CUDA_VISIBLE_DEVICES" if visible is not None else ("nvidia-smi" if shutil.which("nvidia-smi") else None)
    facts = {"gpus": list(gpus), "count": len(gpus), "source": source}
    if gpus:
        value = f"{len(gpus)} ({','.join(gpus)}) from {source}"
    elif visible is not None:
        value = f"none (CUDA_VISIBLE_DEVICES={visible!r})"
    else:
        value = "none (nvidia-smi lists none)" if source else "none (no CUDA_VISIBLE_DEVICES, no nvidia-smi)"
    try:
        parse_gpus(",".join(gpus))
    except UsageError as e:
        return Check("gpus", value, section="resources", facts=facts, problem=f"CUDA_VISIBLE_DEVICES: {e.message}",
                     fix="set CUDA_VISIBLE_DEVICES to device indices or UUIDs, e.g. CUDA_VISIBLE_DEVICES=0,1")
    return Check("gpus", value, section="resources", facts=facts)


def _probe_http(uri: str) -> tuple[str, Optional[str], Optional[str]]:
    import urllib.error
    import urllib.request

    health = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(health, timeout=HTTP_TIMEOUT) as response:
            return f"answers ({health}: HTTP {response.status})", None, None
    except urllib.error.HTTPError as e:
        if e.code in (401, 403):
            return f"answers, asks for credentials (HTTP {e.code})", None, None
        return (f"HTTP {e.code} at {health}", f"{uri} answers HTTP {e.code} at /health: is it an MLflow tracking server?",
                "check the URI: an MLflow server answers /health with OK")
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        return ("does not answer", f"the MLflow server at {uri} does not answer ({reason})",
                "start it (mlflow server --host HOST --port PORT), or correct MLFLOW_TRACKING_URI or --mlflow-uri")


def _probe_path(path: Path, *, is_file: bool) -> tuple[str, Optional[str], Optional[str]]:
    directory = path.parent if is_file else path
    target = path if path.exists() else directory
    if not directory.is_dir():
        return ("directory missing", f"{directory} does not exist",
                f"mkdir -p {directory}, or point MLFLOW_TRACKING_URI elsewhere")
    if not os.access(target, os.W_OK):
        return "not writable", f"{target} is not writable", f"make {target} writable, or point MLFLOW_TRACKING_URI elsewhere"
    return "writable", None, None


def mlflow_check(environ: Optional[Mapping[str, str]] = None, cwd: Optional[Path] = None) -> Check:
    """The tracking URI ``--mlflow`` would use, and whether it answers (a server) or can be written (a file)."""
    from hydra_runner.tracking.mlflow import tracking_uri

    environ = os.environ if environ is None else environ
    given = environ.get("MLFLOW_TRACKING_URI")
    uri = tracking_uri(start=cwd or Path.cwd(), environ=environ)
    origin = "MLFLOW_TRACKING_URI" if given else "default: SQLite at the project root"
    scheme = uri.split(":", 1)[0].lower() if "://" in uri else ""
    if scheme in ("http", "https"):
        state, problem, fix = _probe_http(uri)
    elif scheme == "sqlite":
        state, problem, fix = _probe_path(Path(uri[len("sqlite:///"):]), is_file=True)
    elif scheme in ("", "file"):
        state, problem, fix = _probe_path(Path(uri[len("file://"):] if scheme else uri), is_file=False)
    else:
        state, problem, fix = f"not checked ({scheme} store)", None, None
    if problem and not given:
        fix = f"{fix}; or set MLFLOW_TRACKING_URI"
    note = "" if _installed("mlflow") else f"; mlflow not installed: {install_command(f'{DIST}[mlflow]')}"
    return Check("mlflow", f"{uri} ({origin}): {state}{note}", section="resources", problem=problem, fix=fix,
                 facts={"tracking_uri": uri, "from_environment": bool(given), "state": state})


def ray_check(environ: Optional[Mapping[str, str]] = None) -> Check:
    """Ray installed? ``RAY_ADDRESS`` set? Nothing is started."""
    environ = os.environ if environ is None else environ
    version = _installed("ray")
    address = environ.get("RAY_ADDRESS") or None
    facts = {"version": version, "ray_address": address}
    if version is None:
        if address:
            return Check("ray", f"not installed, RAY_ADDRESS={address}", section="resources", facts=facts,
                         problem="RAY_ADDRESS is set but Ray is not installed", fix=install_command(f"{DIST}[ray]"))
        return Check("ray", f"not installed ({install_command(f'{DIST}[ray]')})", section="resources", facts=facts)
    where = (f"RAY_ADDRESS={address}; --launcher ray still starts its own local Ray unless given"
             f" --ray-address {address}") if address else "--launcher ray starts a local Ray for each sweep"
    return Check("ray", f"{version}; {where}", section="resources", facts=facts)


def slurm_check(environ: Optional[Mapping[str, str]] = None) -> Check:
    """Slurm's commands here? Accounting (sacct)? submitit installed? Only Slurm's clients are asked."""
    import subprocess

    environ = os.environ if environ is None else environ
    version = _installed("submitit")
    path = environ.get("PATH")
    sbatch = shutil.which("sbatch", path=path)
    facts: dict[str, Any] = {"submitit": version, "sbatch": sbatch, "accounting": None,
                             "slurm_conf": environ.get("SLURM_CONF")}
    if sbatch is None:
        note = "" if version else f"; --launcher slurm also needs {install_command(f'{DIST}[slurm]')}"
        return Check("slurm", f"no sbatch on PATH: not a Slurm login node{note}", section="resources", facts=facts)

    def answers(*argv: str) -> bool:
        try:
            return subprocess.run(list(argv), capture_output=True, timeout=5, env=dict(environ)).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    conf = Path(environ.get("SLURM_CONF") or "/etc/slurm/slurm.conf")
    if not conf.exists():
        return Check("slurm", f"{sbatch}, but no cluster configured here ({conf} does not exist)",
                     section="resources", facts=facts)
    if not answers("sinfo", "-h", "-o", "%P"):
        return Check("slurm", f"{sbatch}, but sinfo gets no answer", section="resources", facts=facts,
                     problem="Slurm's controller does not answer this machine",
                     fix="check SLURM_CONF and that slurmctld runs (scontrol ping)")
    facts["accounting"] = answers("sacct", "-n", "-X", "-S", "now", "-o", "JobID")
    states = "job states from sacct" if facts["accounting"] else "no accounting: job states from squeue and outcome files"
    if version is None:
        return Check("slurm", f"{sbatch}; {states}; submitit not installed", section="resources", facts=facts,
                     problem="--launcher slurm submits through submitit, which is not installed",
                     fix=install_command(f"{DIST}[slurm]"))
    return Check("slurm", f"{sbatch}; {states}; submitit {version}", section="resources", facts=facts)


def venv_check(cwd: Optional[Path] = None) -> Check:
    """Which interpreter ``run`` uses here: the project's ``.venv`` when it holds hydra-runner."""
    here = (cwd or Path.cwd()).resolve()
    venv = here / ".venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    facts: dict[str, Any] = {"venv": str(venv) if python.exists() else None, "executable": sys.executable}
    if not python.exists():
        above = next((d for d in here.parents if (d / ".venv").is_dir()), None)
        facts["venv_above"] = str(above / ".venv") if above else None
        value = f"no .venv in {here}: TARGET runs with {sys.executable}"
        if above:
            value += f" ({above / '.venv'} is used only when hydra-runner is started from {above})"
        return Check("project venv", value, facts=facts)
    if Path(sys.prefix).resolve() == venv.resolve():
        return Check("project venv", f"running in {venv}", facts=facts)
    from hydra_runner.cli._venv import has_hydra_runner

    if not has_hydra_runner(venv):
        return Check("project venv", f"{venv} has no hydra-runner", facts=facts,
                     problem=f"{venv} has no hydra-runner, so TARGET runs with {sys.executable}, not the project's Python",
                     fix=f"{install_command('hydra-runner', python)} (or uv add hydra-runner)")
    return Check("project venv", f"{venv}: run and multirun switch to {python}", facts=facts)


def run_checks(environ: Optional[Mapping[str, str]] = None, cwd: Optional[Path] = None) -> list[Check]:
    """Every check, in the order the report shows them."""
    return [
        *python_checks(),
        *requirement_checks(),
        venv_check(cwd),
        *plugin_checks(),
        plugin_compat_check(),
        *extra_checks(),
        gpu_check(environ),
        mlflow_check(environ, cwd),
        ray_check(environ),
        slurm_check(environ),
    ]
