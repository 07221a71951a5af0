"""The analyst's terminal view of one customer (rich on a terminal, plain text when piped).

Crawled text is passed to rich only as ``Text`` objects (never parsed as markup) after control
characters are removed, so a page cannot restyle or drive the analyst's terminal.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from scripts.terminal import inert

FIRMOGRAPHICS = (
    ("account_name", "Account"),
    ("industry", "Industry"),
    ("vertical", "Vertical"),
    ("org_size", "Employees"),
    ("sub_segment", "Sub-segment"),
    ("country", "Country"),
    ("city", "City"),
    ("partner_name", "Partner"),
)


def highlighted(passage: str, key_phrase: str) -> Text:
    text = Text(inert(passage))
    phrase = inert(key_phrase)
    if phrase:
        start = text.plain.lower().find(phrase.lower())
        if start >= 0:
            text.stylize("bold yellow", start, start + len(phrase))
    return text


def render(report: dict[str, Any], detail: Any, console: Console | None = None) -> None:
    console = console or Console(highlight=False, soft_wrap=False)
    firm = report["firmographics"]
    header = Table.grid(padding=(0, 2))
    for key, label in FIRMOGRAPHICS:
        header.add_row(Text(label, style="dim"), Text(inert(str(firm.get(key, "")))))
    title = Text(f"{inert(report['domain'])}  ({inert(report['customer_id'])})", style="bold")
    console.print(Panel(header, title=title, title_align="left"))

    areas = Table(title=f"Propensity {report['month'] or '(no monthly run yet)'}", title_justify="left")
    for column in ("Area", "Fit", "Intent", "Cell", "Cluster"):
        areas.add_column(column)
    for area in report["areas"]:
        areas.add_row(
            area["area"],
            f"{area['fit']:.0f} {area['fit_band']}",
            f"{area['intent']:.0f} {area['intent_band']}",
            area["cell"],
            area["cluster"],
        )
    console.print(areas)

    if report["technologies"]:
        tech = Table(title="Technographics", title_justify="left")
        tech.add_column("Technology")
        tech.add_column("Evidence", overflow="fold")
        for item in report["technologies"]:
            tech.add_row(Text(inert(item["name"])), Text(inert(item["evidence"])))
        console.print(tech)

    signals = report["signals"]
    console.print(Text(f"Signals ({len(signals)}, newest first)", style="bold"))
    for signal in signals:
        body = [
            highlighted(signal["passage"], signal["key_phrase"]),
            Text(inert(signal["why_now"]), style="italic"),
            Text(f"{inert(signal['url'])}  [{inert(signal['source_kind'])}]", style="blue"),
        ]
        for example in signal["nearest_examples"][:3]:
            similarity = example["similarity"]
            shown = f"{similarity:.2f}" if isinstance(similarity, int | float) else "-"
            body.append(Text(f"  ~ {shown} {example['label']}: {inert(example['text'])}", style="dim"))
        heading = Text(
            f"{signal['signal_type']}  {signal['published'] or 'undated'}  "
            f"confidence {signal['confidence']:.2f}  areas {', '.join(signal['areas'])}"
        )
        console.print(Panel(Group(*body), title=heading, title_align="left"))
