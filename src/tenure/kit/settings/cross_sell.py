"""Cross-sell sequences and next best offers: ``[cross_sell]`` (docs/cross-sell.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

CROSS_SELL_LEVELS = ("product", "category")


class CrossSellSettings(BaseModel):
    """Which purchase sequences a run keeps and how many offers each customer gets."""

    model_config = ConfigDict(allow_inf_nan=False)

    enabled: bool = Field(default=True, description="Compute sequences and offers in each run.")
    min_support: int = Field(
        default=20, ge=2, le=1_000_000, description="Customers who bought B after A, at least."
    )
    basket_cap: int = Field(
        default=40,
        ge=2,
        le=1_000,
        description="Latest distinct items per customer that enter the pairs (caps huge baskets).",
    )
    k: int = Field(default=3, ge=1, le=20, description="Offers per customer and level.")
    min_z: float = Field(
        default=4.0,
        ge=0.0,
        le=100.0,
        description="Pairs less surprising than this are no evidence.",
    )
    window_days: int = Field(
        default=90, ge=7, le=730, description="The W of 'share buying B within W days of A'."
    )
    levels: list[str] = Field(
        default_factory=lambda: list(CROSS_SELL_LEVELS),
        description="product, category or both.",
    )
    evaluation_horizon_days: int = Field(
        default=90, ge=14, le=365, description="The later time split the offers are tested on."
    )
    learned_levels: list[str] = Field(
        default_factory=lambda: ["product"],
        description="Levels whose offers a learned propensity (BPR) ranks: product, category, "
        "both or none (it beats the sequences at product level on the demo's later split).",
    )
    learned_min_customers: int = Field(
        default=2_000,
        ge=2,
        le=100_000_000,
        description="Buyers a store needs before the learned propensity ranks its offers; "
        "below, the sequences alone.",
    )
    learned_max_pairs: int = Field(
        default=1_000_000,
        ge=0,
        le=1_000_000_000,
        description="Customer-item pairs above which the learned propensity is not fitted (its "
        "200 epochs cost about 35 s of one core per million pairs); the sequences alone.",
    )
    learned_factors: int = Field(
        default=32, ge=2, le=512, description="Factors per customer and item of the model."
    )

    @field_validator("learned_levels")
    @classmethod
    def _known_learned_levels(cls, levels: list[str]) -> list[str]:
        unknown = [level for level in levels if level not in CROSS_SELL_LEVELS]
        if unknown:
            raise ValueError(
                f"learned_levels must be some of {', '.join(CROSS_SELL_LEVELS)}, not {levels!r}"
            )
        return list(dict.fromkeys(levels))

    @field_validator("levels")
    @classmethod
    def _known_levels(cls, levels: list[str]) -> list[str]:
        unknown = [level for level in levels if level not in CROSS_SELL_LEVELS]
        if unknown or not levels:
            raise ValueError(
                f"levels must be some of {', '.join(CROSS_SELL_LEVELS)}, not {levels!r}"
            )
        return list(dict.fromkeys(levels))
