"""Customer-base models of the Fader–Hardie family, sklearn style, on plain frames.

Examples
--------
>>> from tenure.analytics.clv import BetaGeo, GammaGamma, summarize, customer_lifetime_value
>>> summary = summarize(transactions, customer_col="customer_id", date_col="date",
...                     amount_col="amount", calibration_end=date(1997, 9, 30), unit="W")
>>> bgnbd = BetaGeo().fit(summary)          # fit returns the model
>>> bgnbd.params_, bgnbd.standard_errors_   # fitted attributes end in _
>>> bgnbd.probability_alive(summary)
>>> spend = GammaGamma().fit(summary)
>>> clv = customer_lifetime_value(bgnbd, spend, summary, margin=0.3, discount_rate=0.01)
"""

from __future__ import annotations

from tenure.analytics.clv.base import ConvergenceError
from tenure.analytics.clv.bgbb import BetaGeoBetaBinom
from tenure.analytics.clv.bgnbd import BetaGeo
from tenure.analytics.clv.gammagamma import GammaGamma
from tenure.analytics.clv.mbgnbd import ModifiedBetaGeo
from tenure.analytics.clv.paretonbd import ParetoNBD
from tenure.analytics.clv.sbg import ShiftedBetaGeo
from tenure.analytics.clv.summary import CustomerSummary, summarize
from tenure.analytics.clv.value import customer_equity, customer_lifetime_value

__all__ = [
    "BetaGeo",
    "BetaGeoBetaBinom",
    "ConvergenceError",
    "CustomerSummary",
    "GammaGamma",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "ShiftedBetaGeo",
    "customer_equity",
    "customer_lifetime_value",
    "summarize",
]
