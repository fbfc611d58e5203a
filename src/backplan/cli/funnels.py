"""``backplan funnels``: the funnels a plan can use, and their stages."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from backplan.cli.output import console, print_json
from backplan.config import get_settings
from backplan.defaults.definitions import read_text
from backplan.services.audit import Actor
from backplan.services.definitions import funnel_names, save_funnel
from backplan.services.planning import resolve_funnel


def funnels(
    name: str = typer.Argument(
        None, help="A funnel to show stage by stage (name or TOML path); with --save, the FILE."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    save: str = typer.Option(
        None,
        "--save",
        metavar="NAME",
        help="Save the TOML FILE as the organisation's funnel NAME (a new version; the web "
        "app's Edit funnels does the same): backplan funnels --save inbound inbound.toml",
    ),
) -> None:
    """List the funnels (shipped, and the organisation's own as admins edited them in the web
    app), or show one funnel's stages, rates and channels."""
    settings = get_settings()
    if save is not None:
        if not name:
            raise typer.BadParameter("give the TOML file to save: --save NAME FILE")
        file = Path(name)
        save_funnel(settings, save, read_text(file), Actor.command_line(), source=str(file))
        name = save
    names = [name] if name else funnel_names(settings)
    chosen = [resolve_funnel(settings, n) for n in names]
    if as_json:
        print_json(
            [
                {
                    "key": f.key,
                    "label": f.label,
                    "focus": f.focus.key,
                    "stages": [
                        {
                            "key": s.key,
                            "label": s.label,
                            "kinds": list(s.kinds),
                            "focus": s.focus,
                            "carries_value": s.carries_value,
                            "tracks": list(s.tracks),
                            "minutes": s.minutes,
                        }
                        for s in f.stages
                    ],
                    "conversions": [c.key for c in f.conversions()],
                    "channels": [
                        {"key": c.key, "kinds": list(c.kinds), "feeds": list(c.feeds)}
                        for c in f.channels
                    ],
                }
                for f in chosen
            ]
        )
        return
    for f in chosen:
        table = Table(title=f"{f.key}: {f.label}", title_justify="left", caption=f.description)
        table.add_column("stage")
        table.add_column("counts event kinds")
        table.add_column("rate into it (write as)")
        for i, s in enumerate(f.stages):
            rate = f"{s.key}/{f.stages[i - 1].key}" if i else ""
            label = s.label + (" ◀ focus" if s.focus else "") + (" ($)" if s.carries_value else "")
            table.add_row(label, ", ".join(s.kinds), rate)
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(funnels)
