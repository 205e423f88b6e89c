"""Churn risk: a calibrated gradient-boosting model trained on the store's own past.

``churn_risk`` is what a scoring run calls; ``history`` labels what customers did after a day,
``model`` trains and explains, ``evaluate`` measures the model against the two baselines on a
later time split.
"""

from tenure.analytics.churn.run import ChurnParams, churn_risk, fit_as_of, no_risk, risk_of

__all__ = ["ChurnParams", "churn_risk", "fit_as_of", "no_risk", "risk_of"]
