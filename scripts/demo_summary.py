"""What a partner wants to see first after the demo: signals, matrices, who to call and why."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from common.vocabulary import ACT_NOW, AREAS
from scripts.terminal import inert
from storage.store import Store
from storage.views import CustomerFilter, SqliteViewQueries

BANDS = ("High", "Medium", "Low", "Very low")


async def print_summary(console: Console, store: Store, result: Any, month: str) -> None:
    views = SqliteViewQueries(store.db)
    facts = result.facts
    _signals_table(console, facts.get("signals_by_type", {}))
    await _matrices(console, views, month)
    await _act_now(console, store, views, month)
    _truth(console, facts.get("truth"))
    _validation(console, facts.get("validation"))
    _stages(console, result.seconds)
    out = result.out
    console.print(Text("Reports", style="bold"))
    for path in facts.get("reports", []):
        console.print(f"  {path}")
    console.print(
        Text.assemble(
            ("\nNext: ", "bold"),
            f"ascent --db {out}/ascent.db serve   (then open http://127.0.0.1:8080/)\n"
            f"      ascent --db {out}/ascent.db explain <domain>\n"
            f"      everything the demo made is under {out}/",
        )
    )


def _signals_table(console: Console, counts: dict[str, int]) -> None:
    table = Table(title="Signals by type", title_justify="left")
    table.add_column("type")
    table.add_column("signals", justify="right")
    for signal_type, count in sorted(counts.items(), key=lambda item: -item[1]):
        table.add_row(signal_type, str(count))
    table.add_row(Text("total", style="bold"), Text(str(sum(counts.values())), style="bold"))
    console.print(table)


async def _matrices(console: Console, views: SqliteViewQueries, month: str) -> None:
    grid = Table.grid(padding=(0, 3))
    row: list[Table] = []
    for area in AREAS:
        cells = {(c.fit_band, c.intent_band): c for c in await views.matrix(month, area)}
        table = Table(title=f"{area} {month}", title_justify="left", show_lines=False)
        table.add_column("fit \\ intent")
        for band in BANDS:
            table.add_column(band[:4], justify="right")
        for fit_band in BANDS:
            values = []
            for intent_band in BANDS:
                cell = cells.get((fit_band, intent_band))
                values.append(f"{cell.cell} {cell.count}" if cell else "-")
            table.add_row(fit_band, *values)
        row.append(table)
        if len(row) == 2:
            grid.add_row(*row)
            row = []
    if row:
        grid.add_row(*row)
    console.print(grid)


async def _act_now(console: Console, store: Store, views: SqliteViewQueries, month: str) -> None:
    candidates = []
    for area in AREAS:
        page = await views.customer_page(CustomerFilter(month, area, cluster=ACT_NOW), 1, 10)
        candidates += page.rows
    best: dict[str, Any] = {}
    for row in sorted(candidates, key=lambda r: -(r.intent + r.fit)):
        best.setdefault(row.customer_id, row)
    table = Table(title="Top Act-now customers", title_justify="left")
    for column in ("customer", "area", "cell", "fit", "intent", "why now"):
        table.add_column(column, overflow="fold")
    for row in list(best.values())[:10]:
        signals = [
            s for s in await store.signals.by_customer(row.customer_id, limit=50) if row.area in s.areas
        ]
        why = inert(signals[0].why_now) if signals else ""
        table.add_row(
            Text(f"{inert(row.account_name)}\n{inert(row.domain)}"),
            row.area,
            row.cell,
            f"{row.fit:.0f}",
            f"{row.intent:.0f}",
            Text(why),
        )
    console.print(table)


def _truth(console: Console, truth: dict[str, Any] | None) -> None:
    if not truth:
        return
    console.print(
        Text.assemble(
            ("Against the fixture web's ground truth: ", "bold"),
            f"{truth['found_with_right_type']}/{truth['planted']} planted signals found with the right "
            f"type ({_pct(truth['recall'])}); {truth['unplanted']}/{truth['emitted']} emitted signals "
            f"were not planted ({_pct(truth['unplanted_share'])}).",
        )
    )


def _validation(console: Console, report: dict[str, Any] | None) -> None:
    if not report:
        return
    table = Table(
        title=f"Validation: opportunities {report['window']['first_day']}..{report['window']['last_day']}"
    )
    for column in ("area", "opps", "won", "Act-now won lift", "monotonic", "passed"):
        table.add_column(column, justify="right")
    for area in report["areas"]:
        table.add_row(
            area["area"],
            str(area["opportunities"]),
            str(area["won"]),
            "-" if area["won_lift"] is None else f"{area['won_lift']:.2f}x",
            str(area["monotonic"]),
            "-" if area["passed"] is None else ("yes" if area["passed"] else "no"),
        )
    console.print(table)


def _stages(console: Console, seconds: dict[str, float]) -> None:
    console.print(
        Text("Stage times: ", style="bold")
        + Text(", ".join(f"{name} {value:.1f}s" for name, value in seconds.items()))
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"
