"""The objective of the study: validation accuracy of a random forest.

No Optuna and no MLflow in here: the sweep suggests the params through the config and
records the returned accuracy.

    hydra-runner multirun objective.py:accuracy --config-path conf --config-name config -j 2
"""

from omegaconf import DictConfig
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split


def accuracy(cfg: DictConfig) -> float:
    data = load_breast_cancer()
    x_train, x_valid, y_train, y_valid = train_test_split(
        data.data, data.target, test_size=cfg.dataset.test_size, random_state=cfg.dataset.random_state
    )
    model = RandomForestClassifier(
        n_estimators=cfg.model.n_estimators,
        max_depth=cfg.model.max_depth,
        min_samples_split=cfg.model.min_samples_split,
        random_state=cfg.dataset.random_state,
    )
    model.fit(x_train, y_train)
    return float(accuracy_score(y_valid, model.predict(x_valid)))
