"""Differential tests: hydra-runner versus plain Hydra on the same projects."""
