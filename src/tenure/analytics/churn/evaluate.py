"""How good a churn score is: ROC-AUC, PR-AUC (average precision) and Brier score.

The baselines are scores, not probabilities of this label, so each is calibrated the same way
as the model — a logistic fit on the training snapshot — before its Brier score is taken:
days since the last purchase enters as log(1 + days), 1 − P(alive) as its log-odds.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def quality(y: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC-AUC, PR-AUC and Brier score of probabilities against outcomes."""
    return {
        "roc_auc": round(float(roc_auc_score(y, probability)), 4),
        "pr_auc": round(float(average_precision_score(y, probability)), 4),
        "brier": round(float(brier_score_loss(y, probability)), 4),
    }


def days_since_last_input(days: np.ndarray) -> np.ndarray:
    """Return the baseline's input: log(1 + days since the last purchase)."""
    return np.log1p(np.maximum(days, 0.0)).reshape(-1, 1)


def one_minus_p_alive_input(p_alive: np.ndarray) -> np.ndarray:
    """Return the baseline's input: the log-odds of 1 − P(alive), kept finite."""
    q = np.clip(1.0 - p_alive, 1e-9, 1 - 1e-9)
    return np.log(q / (1 - q)).reshape(-1, 1)


def calibrated_baseline(
    train_input: np.ndarray, train_y: np.ndarray, test_input: np.ndarray
) -> np.ndarray:
    """Fit a one-input logistic regression on the training snapshot; apply it to the test one."""
    fitted = LogisticRegression(C=1e6).fit(train_input, train_y)
    return np.asarray(fitted.predict_proba(test_input)[:, 1])
