"""hydra-runner's Hydra plugins: thin adapters over hydra_runner's launchers and sweepers."""
