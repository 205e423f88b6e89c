"""A learned offer's reason in words, in both languages (docs/cross-sell.md)."""

from __future__ import annotations

from datetime import date

from tenure.domains.crosssell.service import reason

AS_OF = date(2026, 6, 30)
LEARNED = {"source": "learned", "item": "KIT-004", "from_item": "COF-001"}


def test_a_learned_offer_names_the_customers_item_most_like_it() -> None:
    offer = {**LEARNED, "from_on": date(2026, 5, 21)}  # 40 days before AS_OF
    assert reason(offer, AS_OF, "en") == (
        "bought COF-001 40 days ago; customers who buy COF-001 also tend to buy KIT-004"
    )
    assert (
        reason(offer, AS_OF, "zh") == "40 天前购买了 COF-001；购买 COF-001 的客户也常购买 KIT-004"
    )


def test_without_an_item_of_their_own_it_speaks_of_customers_alike() -> None:
    offer = {**LEARNED, "from_item": None, "from_on": None}
    assert reason(offer, AS_OF, "en") == "customers with purchases like theirs often buy KIT-004"
    assert reason(offer, AS_OF, "zh") == "购买记录相似的客户常购买 KIT-004"
