"""Jobs: what one job of a sweep is, how it runs and how it ends, for every backend alike.

    model      JobSpec (number + overrides) and Status, plain data shared by all
    outcome    JobOutcome (what a job's process sends back) and Ended (what a backend reports)
    result     JobResult / SweepResult, what run and multirun return (Hydra's JobReturn)
    events     report() and log_metrics() inside a job, and the channel that carries them
    execute    Hydra's run_job semantics for a composed job
    runner     JobRunner: runs jobs in a process of their own (pool workers, Ray, ...)

Importing this package stays light (no Hydra): the journal and ``results`` use the model.
"""

from __future__ import annotations

from hydra_runner.jobs.model import JobSpec, Status

__all__ = ["JobSpec", "Status"]
