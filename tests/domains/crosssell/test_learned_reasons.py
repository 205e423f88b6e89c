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


def test_the_learned_model_ranks_only_where_the_settings_allow_it() -> None:
    import polars as pl

    from tenure.domains.crosssell.compute import learned_params
    from tenure.kit.settings import CrossSellSettings

    firsts = pl.DataFrame({"customer_id": [1, 1, 2, 3], "item": ["A", "B", "A", "C"]})
    allowed = CrossSellSettings(learned_min_customers=3, learned_max_pairs=4)
    assert learned_params(allowed, "product", firsts) is not None
    assert learned_params(allowed, "category", firsts) is None  # not a learned level
    few = CrossSellSettings(learned_min_customers=4, learned_max_pairs=4)
    assert learned_params(few, "product", firsts) is None  # 3 buyers
    many = CrossSellSettings(learned_min_customers=3, learned_max_pairs=3)
    assert learned_params(many, "product", firsts) is None  # 4 pairs
