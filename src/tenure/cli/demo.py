"""``tenure demo``: generate the simulated company into the store or into files."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import typer

from tenure.cli import context

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tenure.demo.config import DemoConfig, Profile
    from tenure.demo.generate import DemoData
    from tenure.kit.settings import Settings


REPLAY_DAYS = 28  # the demo's playbooks have been at work this long when it opens
RUN_EVERY_DAYS = 14  # a scoring run a fortnight over those days (each costs a full run)
GLOBAL_CONTROL_SHARE = 0.05  # the demo measures its whole programme against this share

app = typer.Typer(
    rich_markup_mode="markdown",
    help="A simulated company with its hidden truth, and a check of a run against that truth.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback()
def demo(
    ctx: typer.Context,
    customers: int = typer.Option(
        50_000, "--customers", min=100, help="How many customers (leads included) to simulate."
    ),
    seed: int = typer.Option(
        7,
        "--seed",
        help="Random seed: the same seed, size, profile and end date give the same company.",
    ),
    profile: str = typer.Option(
        "ecommerce",
        "--profile",
        help="ecommerce (orders with lines) or saas (plans, monthly/annual contracts, renewals).",
    ),
    end: str | None = typer.Option(
        None,
        "--end",
        help="Last day of the history, YYYY-MM-DD (default: today). Two years of history end here.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write import files to this folder instead of the store."
    ),
    fmt: str = typer.Option("csv", "--format", help="File format with --out: csv or parquet."),
    truth: Path = typer.Option(
        Path("tenure-demo-truth"),
        "--truth",
        help="Folder for the true latent parameters (with --out: the --out folder).",
    ),
    if_empty: bool = typer.Option(
        False,
        "--if-empty",
        help="Do nothing if the store already has customers (what `make demo` uses).",
    ),
    reset: bool = typer.Option(False, "--reset", help="Delete everything in the store first."),
    as_json: bool = typer.Option(False, "--json", help="Print what was made as JSON."),
) -> None:
    """Generate a realistic, deterministic demo company.

    Leads arrive through seven channels with different spend, conversion and quality; buyers
    purchase by a latent heterogeneous process with seasonality; activity fades and
    complaints rise before customers leave; some come back. The truth behind the data is
    written beside it so models can be checked against it: `tenure demo check` compares the
    latest scoring run with it.
    """
    if ctx.invoked_subcommand is not None:
        return
    from tenure.demo.config import DemoConfig

    if profile not in ("ecommerce", "saas"):
        context.fail(f"--profile must be ecommerce or saas, not {profile!r}")
    if fmt not in ("csv", "parquet"):
        context.fail(f"--format must be csv or parquet, not {fmt!r}")
    try:
        end_day = date.fromisoformat(end) if end else date.today()
    except ValueError:
        context.fail(f"--end {end!r} is not a date written YYYY-MM-DD")
    config = DemoConfig(
        customers=customers, seed=seed, profile=cast("Profile", profile), end=end_day
    )
    if out is not None:
        _to_files(config, out, fmt, as_json)
    else:
        _to_store(config, truth, if_empty, reset, as_json)


def _generate(config: DemoConfig, quiet: bool) -> DemoData:
    from rich.progress import Progress, SpinnerColumn, TimeElapsedColumn

    from tenure.demo.generate import generate

    with Progress(
        SpinnerColumn(),
        "{task.description}",
        TimeElapsedColumn(),
        console=context.err_console,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("generating")
        data = generate(
            config,
            step=lambda what: progress.update(task, description=f"generating {what}"),
        )
    return data


def _to_files(config: DemoConfig, out: Path, fmt: str, as_json: bool) -> None:
    from tenure.demo.files import write_files
    from tenure.demo.load import write_truth

    started = time.perf_counter()
    data = _generate(config, as_json)
    files = write_files(data, out, fmt)
    write_truth(data, out)
    seconds = time.perf_counter() - started
    if as_json:
        context.print_json(
            {
                "files": {k: str(v) for k, v in files.items()},
                "rows": data.counts(),
                "truth": str(out),
                "seconds": seconds,
            }
        )
        return
    context.console.print(f"Wrote the demo company to {out}/ in {seconds:.1f} s:")
    for _entity, path in files.items():
        context.console.print(f"  {path}")
    context.console.print(
        f"Truth: {out}/truth.parquet and truth.json. Load it with e.g.\n"
        f"  tenure import customers {out}/customers.{fmt}"
    )


def _to_store(config: DemoConfig, truth: Path, if_empty: bool, reset: bool, as_json: bool) -> None:
    from rich.table import Table

    from tenure.demo.load import (
        clear_store,
        load_into_store,
        store_has_customers,
        use_profile_settings,
        write_truth,
    )
    from tenure.kit.timeutil import utcnow
    from tenure.storage.engine import bulk_load

    settings = context.settings()
    eng = context.engine(settings)
    with eng.connect() as conn:
        existing = store_has_customers(conn)
    if existing and if_empty:
        password = _demo_login(eng)
        msg = f"The store already holds {existing:,} customers; leaving it as it is."
        if as_json:
            context.print_json({"skipped": True, "customers": existing, **_login_json(password)})
        else:
            context.console.print(msg)
            _print_login(password)
        return
    if existing and not reset:
        context.fail(
            f"the store already holds {existing:,} customers. Use --reset to replace "
            "them with the demo company, or point TENURE_DATABASE_URL elsewhere."
        )
    started = time.perf_counter()
    data = _generate(config, as_json)
    generated = time.perf_counter() - started
    with bulk_load(eng) as conn:
        if reset:
            clear_store(conn)
        load_into_store(conn, data, utcnow())
    with eng.begin() as conn:  # a subscription business's stages follow its contracts
        use_profile_settings(conn, config.profile, settings)
    write_truth(data, truth)
    # the shipped playbooks, published before the first run, then four weeks of history
    # replayed day by day: fortnightly runs (their stage changes enroll customers) and a
    # worker's tick every morning, so a first look shows journeys under way, tasks for the
    # owners, sent mail and goals reached; the last run, as of the last day, is the current one
    from tenure.demo import feedback, listening
    from tenure.demo import loyalty as demo_loyalty
    from tenure.demo.effects import HOLDOUT, WINDOW_DAYS
    from tenure.demo.load import publish_presets
    from tenure.demo.responses import Lives, Responder, true_effects, write_effects
    from tenure.demo.truth import Truth
    from tenure.domains.scoring.run import run_scoring
    from tenure.kit.clock import SystemClock
    from tenure.kit.timeutil import end_of_day
    from tenure.kit.timeutil import utcnow as now_utc
    from tenure.storage.arrow import arrow_reader
    from tenure.worker.playbooks import tick as playbook_tick
    from tenure.worker.replay import add, replay

    with eng.begin() as conn:
        # the NPS survey the nps-survey playbook sends, the teams and the routing of answers
        feedback.set_up(conn, now_utc())
        publish_presets(conn)
        # the shipped loyalty programme: the first run earns on the whole history
        programme = demo_loyalty.apply_programme(conn, now_utc())
        joined = demo_loyalty.join_some(conn, programme, config.seed)
        publish_presets(conn, WINDOW_DAYS, HOLDOUT)
        switch_global_control_on(conn, settings)
    settings = effective_settings(eng, settings)
    scored_runs: list[Any] = []
    # the company answers the playbooks' emails with known true effects (tenure.demo.effects):
    # set-wise before each run, so the runs see the orders the emails brought
    history_ends = min(
        datetime.combine(config.end + timedelta(days=1), dt_time(0), tzinfo=UTC), now_utc()
    )
    known = Truth.read(truth)
    with eng.connect() as conn:
        lives = Lives.of(conn, known)
        listener = listening.Listener(
            config.seed, settings, listening.people(conn, known), lives=lives
        )
    responder = Responder(
        seed=config.seed, until=history_ends - timedelta(microseconds=1), lives=lives
    )

    def score(day: date) -> None:
        with eng.begin() as conn:
            responder.respond(conn)
        with eng.begin() as conn:  # the load is committed: big tables may come through Arrow
            scored_runs.append(run_scoring(conn, day, settings, arrow_reader(eng)))

    first = config.end - timedelta(days=REPLAY_DAYS)
    acted = replay(
        eng,
        settings,
        first,
        config.end - timedelta(days=1),
        score,
        [first + timedelta(days=n) for n in range(0, REPLAY_DAYS, RUN_EVERY_DAYS)],
        until=now_utc(),
        after_ticks=lambda day, moment: _listen(eng, listener, (day - first).days, moment),
    )
    score(config.end)
    scored = scored_runs[-1]
    with eng.begin() as conn:
        redeemed = demo_loyalty.redeem_some(
            conn, programme, end_of_day(config.end, settings.business.timezone)
        )
    # the true uplift of each playbook's goal rate over the enrollments whose window has closed
    # by the start of the day after the history (what `tenure demo check` measures)
    measured_as_of = datetime.combine(
        config.end + timedelta(days=1), dt_time(0), tzinfo=ZoneInfo(settings.business.timezone)
    )
    with eng.connect() as conn:
        write_effects(truth, true_effects(conn, measured_as_of, lives=lives))
    add(acted, playbook_tick(eng, settings, SystemClock()))
    with eng.connect() as conn:
        heard = listening.write_truth(conn, listener, truth, history_ends)
        surveys = listening.summary(conn)
    password = _demo_login(eng)
    seconds = time.perf_counter() - started
    url = eng.url.render_as_string(hide_password=True)
    if as_json:
        context.print_json(
            {
                "database": url,
                "rows": data.counts(),
                "truth": str(truth),
                "generate_seconds": generated,
                "seconds": seconds,
                "stages": scored.stages,
                "scoring_run": scored.run_id,
                "loyalty": {
                    "programme": programme,
                    "members": joined,
                    "redemptions": redeemed,
                },
                "surveys": surveys,
                "playbooks": {
                    "enrolled": acted.enrolled,
                    "steps": acted.steps,
                    "emails": acted.emails,
                },
                **_login_json(password),
            }
        )
        return
    table = Table("table", "rows", title=f"Demo company in {url} ({seconds:.1f} s)")
    for name, rows in data.counts().items():
        table.add_row(name, f"{rows:,}")
    context.console.print(table)
    context.console.print(
        f"Truth behind the data: {truth}/truth.parquet, {truth}/truth.json, and the playbooks' "
        f"true effects in {truth}/effects.json (`tenure demo check` puts the estimates beside them)"
    )
    from tenure.cli.score import print_stages

    print_stages(scored.stages, f"Lifecycle stages as of {config.end}")
    sent = acted.emails.get("sent", 0)
    context.console.print(
        f"Playbooks: {acted.enrolled:,} customers enrolled, {acted.steps:,} steps run, "
        f"{sent:,} emails sent through the outbox, the rest as the worker ticks "
        "(`tenure playbooks list`, `tenure messages list`)"
    )
    context.console.print(
        f"Loyalty: {joined:,} customers joined the opt-in {programme} programme and it ran "
        f"over the history; {redeemed:,} vouchers "
        "redeemed (`tenure loyalty check`, the Loyalty page)"
    )
    context.console.print(
        f"Surveys: {surveys['invited']:,} NPS invitations sent by the nps-survey playbook, "
        f"{surveys['answered']:,} answered through the survey page, {surveys['followups']:,} "
        f"follow-ups routed to the teams ({surveys['open']:,} open); the truth in {heard} "
        "(the Surveys and Feedback pages, `tenure surveys show nps`)"
    )
    context.console.print("Next: `tenure serve` and open http://127.0.0.1:8000")
    _print_login(password)


def _listen(eng: Engine, listener: Any, day: int, moment: datetime) -> None:
    """After a replayed day's ticks: the wave's weekly part, then what customers answered."""
    from tenure.demo import feedback

    week, rest = divmod(day, 7)
    with eng.begin() as conn:
        if rest == 0 and week < feedback.WAVE_WEEKS:
            feedback.enroll_wave(conn, week, moment - timedelta(days=day), moment)
        listener.day(conn, moment)


def switch_global_control_on(conn: Any, settings: Settings) -> None:
    """Save a global control group for the demo store, unless the configuration sets one."""
    from tenure.domains.audit.service import SYSTEM
    from tenure.domains.preferences import service as preferences

    if preferences.effective(conn, settings).automation.global_control_share == 0:
        share = {"global_control_share": GLOBAL_CONTROL_SHARE}
        preferences.save(conn, SYSTEM, "automation", share, settings)


def effective_settings(eng: Engine, settings: Settings) -> Settings:
    """Return the settings with the groups saved in the store (the global control group)."""
    from tenure.domains.preferences import service as preferences

    with eng.connect() as conn:
        return preferences.effective(conn, settings)


def _demo_login(eng: Engine) -> str | None:
    """Give the demo admin a one-time password until they have chosen their own."""
    from tenure.demo.people import ADMIN_EMAIL
    from tenure.domains.users.service import first_sign_in

    with eng.begin() as conn:
        password, _ = first_sign_in(conn, ADMIN_EMAIL)
    return password


def _login_json(password: str | None) -> dict[str, str | None]:
    from tenure.demo.people import ADMIN_EMAIL

    return {"admin_email": ADMIN_EMAIL, "admin_password": password}


def _print_login(password: str | None) -> None:
    from tenure.demo.people import ADMIN_EMAIL

    if password is None:
        context.console.print(
            f"Sign in as {ADMIN_EMAIL} with the password you chose "
            f"(forgotten? `tenure users reset-password {ADMIN_EMAIL}`)."
        )
        return
    context.console.print(
        f"Sign in as [bold]{ADMIN_EMAIL}[/] with the one-time password "
        f"[bold]{password}[/] (good for one sign-in, which chooses a new password; "
        "a new one is printed until then).",
        highlight=False,
    )
