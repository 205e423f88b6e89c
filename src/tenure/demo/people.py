"""Names, places and profiles of the simulated customers, and the team that owns them."""

from __future__ import annotations

import numpy as np
import polars as pl

from tenure.demo.config import DemoConfig
from tenure.demo.population import Population
from tenure.demo.timeline import to_timestamps

FIRST = (
    "Wei",
    "Li",
    "Ming",
    "Xiaoyu",
    "Hao",
    "Jing",
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Sofia",
    "Lucas",
    "Mia",
    "Jun",
    "Hana",
    "Yuki",
    "Arjun",
    "Priya",
    "Carlos",
    "Ana",
    "Lena",
    "Omar",
    "Chloe",
    "Ethan",
    "Zara",
    "Mateo",
    "Aisha",
    "Felix",
    "Ivy",
    "Ravi",
)
LAST = (
    "Wang",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Müller",
    "Schmidt",
    "Tanaka",
    "Sato",
    "Kim",
    "Park",
    "Singh",
    "Patel",
    "Silva",
    "Rossi",
    "Martin",
    "Dubois",
    "Nguyen",
    "Tan",
    "Lee",
    "Khan",
    "Cohen",
    "Novak",
    "Jensen",
    "Costa",
)
PLACES = (  # country, region, city, weight
    ("China", "Asia", "Shanghai", 0.12),
    ("China", "Asia", "Beijing", 0.09),
    ("China", "Asia", "Shenzhen", 0.07),
    ("China", "Asia", "Hangzhou", 0.05),
    ("United States", "Americas", "New York", 0.1),
    ("United States", "Americas", "San Francisco", 0.07),
    ("United States", "Americas", "Austin", 0.05),
    ("Canada", "Americas", "Toronto", 0.05),
    ("United Kingdom", "Europe", "London", 0.09),
    ("Germany", "Europe", "Berlin", 0.07),
    ("France", "Europe", "Paris", 0.05),
    ("Singapore", "Asia", "Singapore", 0.06),
    ("Japan", "Asia", "Tokyo", 0.06),
    ("Australia", "Oceania", "Sydney", 0.07),
)
INDUSTRIES = (
    "software",
    "retail",
    "finance",
    "healthcare",
    "manufacturing",
    "education",
    "media",
    "logistics",
)
SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
COMPANY_WORDS = (
    "Blue",
    "Bright",
    "North",
    "Golden",
    "Swift",
    "Silver",
    "Green",
    "Nova",
    "Peak",
    "Harbor",
    "Cedar",
    "Lotus",
)
COMPANY_KINDS = ("Labs", "Systems", "Trading", "Works", "Foods", "Health", "Logistics", "Media")

ADMIN_EMAIL = "admin@tenure.example"  # `tenure demo` prints this admin's one-time password
TEAM = (  # name, email, role
    ("Ada Admin", ADMIN_EMAIL, "admin"),
    ("Morgan Lead", "morgan@tenure.example", "manager"),
    ("Mei Marketing", "mei@tenure.example", "marketing"),
    ("Sam Seller", "sam@tenure.example", "sales"),
    ("Sara Sales", "sara@tenure.example", "sales"),
    ("Zhou Xiaoming", "zhou@tenure.example", "sales"),
    ("Casey Success", "casey@tenure.example", "csm"),
    ("Lin Yue", "lin@tenure.example", "csm"),
    ("Vik Viewer", "vik@tenure.example", "viewer"),
)


def users_frame() -> pl.DataFrame:
    """Return the demo team (ids 1..n)."""
    return pl.DataFrame(
        {
            "id": np.arange(1, len(TEAM) + 1),
            "name": [t[0] for t in TEAM],
            "email": [t[1] for t in TEAM],
            "role": [t[2] for t in TEAM],
        }
    )


def _gather(options: tuple[str | None, ...], idx: np.ndarray) -> pl.Series:
    return pl.Series(options)[idx]


def _owners(rng: np.random.Generator, pop: Population, value: np.ndarray) -> np.ndarray:
    """Valuable buyers get a customer-success owner; a share of open leads a salesperson."""
    team = users_frame()
    sales = team.filter(pl.col("role") == "sales")["id"].to_numpy()
    csm = team.filter(pl.col("role") == "csm")["id"].to_numpy()
    owner = np.zeros(pop.size, dtype=np.int64)
    top = (
        pop.buyer & (value >= np.quantile(value[pop.buyer], 0.8)) if pop.buyer.any() else pop.buyer
    )
    owner[top] = rng.choice(csm, top.sum())
    lead = ~pop.buyer & (rng.random(pop.size) < 0.3)
    owner[lead] = rng.choice(sales, lead.sum())
    return owner


def customer_frame(rng: np.random.Generator, pop: Population, config: DemoConfig) -> pl.DataFrame:
    """Return the customers table of the demo company (ids 1..n)."""
    n = pop.size
    ids = np.arange(1, n + 1)
    first = _gather(FIRST, rng.integers(0, len(FIRST), n))
    last = _gather(LAST, rng.integers(0, len(LAST), n))
    weights = np.array([p[3] for p in PLACES])
    place = rng.choice(len(PLACES), n, p=weights / weights.sum())
    company_mask = rng.random(n) < (1.0 if config.profile == "saas" else 0.1)
    company = pl.select(
        pl.format(
            "{} {}",
            _gather(COMPANY_WORDS, rng.integers(0, 12, n)),
            _gather(COMPANY_KINDS, rng.integers(0, 8, n)),
        )
    ).to_series()
    mean_value = config.latent.p / pop.nu
    owner = _owners(rng, pop, mean_value)
    email_ok = rng.random(n) < 0.65
    vip = pop.buyer & (mean_value >= np.quantile(mean_value, 0.95))
    wholesale = rng.random(n) < 0.02
    tags = pl.select(
        pl.when(pl.Series(vip))
        .then(pl.lit('["vip"]'))
        .when(pl.Series(wholesale))
        .then(pl.lit('["wholesale"]'))
    ).to_series()
    zh = place < 4
    lang = np.where(
        zh | (rng.random(n) < 0.05), '{"preferred_language":"zh"}', '{"preferred_language":"en"}'
    )
    birthday_days = rng.integers(18 * 365, 70 * 365, n)
    frame = pl.DataFrame(
        {
            "id": ids,
            "external_id": pl.Series(ids).cast(pl.String).str.zfill(7).str.replace(r"^", "C"),
            "name": pl.select(pl.format("{} {}", first, last)).to_series(),
            "email": pl.select(
                pl.format(
                    "{}.{}{}@example.com",
                    first.str.to_lowercase(),
                    last.str.to_lowercase(),
                    pl.Series(ids),
                )
            ).to_series(),
            "phone": pl.select(
                pl.format("+1-555-{}", pl.Series(rng.integers(1_000_000, 9_999_999, n)))
            ).to_series(),
            "company": pl.select(pl.when(pl.Series(company_mask)).then(company)).to_series(),
            "industry": pl.select(
                pl.when(pl.Series(company_mask)).then(
                    _gather(INDUSTRIES, rng.integers(0, len(INDUSTRIES), n))
                )
            ).to_series(),
            "company_size": pl.select(
                pl.when(pl.Series(company_mask)).then(
                    _gather(SIZES, rng.choice(5, n, p=[0.35, 0.3, 0.2, 0.1, 0.05]))
                )
            ).to_series(),
            "region": _gather(tuple(p[1] for p in PLACES), place),
            "country": _gather(tuple(p[0] for p in PLACES), place),
            "city": _gather(tuple(p[2] for p in PLACES), place),
            "birthday": pl.Series(
                np.datetime64(config.end, "D") - birthday_days.astype("timedelta64[D]")
            ),
            "gender": _gather(("female", "male", None), rng.choice(3, n, p=[0.46, 0.46, 0.08])),
            "acquisition_channel": _gather(tuple(c.key for c in config.channels), pop.channel),
            "acquired_at": to_timestamps(pop.acquired, config),
            "owner_id": pl.Series(np.where(owner > 0, owner, 0)).replace(0, None),
            "tags": tags,
            "attributes": pl.Series(lang, dtype=pl.String),
            "email_consent": email_ok,
            "sms_consent": rng.random(n) < 0.3,
        }
    )
    if config.profile == "saas":
        frame = frame.with_columns(
            pl.lit(None, dtype=pl.Date).alias("birthday"),
            pl.lit(None, dtype=pl.String).alias("gender"),
        )
    return frame
