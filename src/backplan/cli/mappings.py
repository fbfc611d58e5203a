"""``backplan mappings``: how to write a mapping, the shipped ones, and a suggestion for a new export."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from backplan.cli.output import console, error_console, print_json
from backplan.services.importing import shipped_mappings
from backplan.services.mapping_suggest import suggest_for_file

GUIDE = """\
A mapping says which columns of an export hold what; backplan turns each row into
events (dial, connect, meeting_booked, meeting_held, opp, won, lost, ...).

  backplan mappings suggest calls.csv --output calls.toml   # a mapping for an export never seen
  backplan import calls.csv --mapping calls.toml            # import with it
  backplan mappings list                                    # the mappings shipped with backplan

A mapping is a TOML file: [columns] names the id, rep (owner), kind, outcome,
prospect, amount and source columns; [dates] the dates; [kinds] what each value of
the kind column records. A field can also be a constant, a value map, a row-by-row
fallback or a lookup into another file:

  rep = { columns = ["Owner", "Created By"] }   # the first non-empty, row by row
  rep = { value = "marketing" }                 # a file with no owner column
  source = { column = "Source", map = { "OnlineStore" = "Online Store" } }
  source = { lookup = "leads.csv", key = "Lead Id", column = "Lead Source" }

One example per CRM (the suggestion writes these for you):

Salesforce, Opportunities report:
  [columns]
  id = "Opportunity ID"
  rep = "Opportunity Owner"
  kind = "Stage"
  amount = "Amount"
  source = "Lead Source"
  [dates]
  opened = "Created Date"
  closed = "Close Date"
  [kinds]
  "Closed Won" = ["opp@opened", "won@closed"]
  "Closed Lost" = ["opp@opened", "lost@closed"]
  "*" = ["opp@opened"]

HubSpot, calls export:
  [columns]
  id = "Record ID"
  rep = "Activity assigned to"
  kind = "Call outcome"
  [dates]
  at = "Activity date"
  [kinds]
  Connected = ["dial", "connect"]
  "*" = ["dial"]

Pipedrive, deals export (won and lost have their own dates):
  [columns]
  id = "Deal - ID"
  rep = "Deal - Owner"
  kind = "Deal - Status"
  amount = "Deal - Value"
  [dates]
  opened = "Deal - Deal created"
  closed = ["Deal - Won time", "Deal - Lost time"]
  [kinds]
  won = ["opp@opened", "won@closed"]
  lost = ["opp@opened", "lost@closed"]
  "*" = ["opp@opened"]

Zoho CRM, meetings export:
  [columns]
  id = "Record Id"
  rep = "Host"
  kind = "Meeting Status"      # hypothetical: your org's own outcome field
  [dates]
  booked = "Created Time"
  held = "From"
  [kinds]
  Completed = ["meeting_booked@booked", "meeting_held@held"]
  "No Show" = ["meeting_booked@booked", "no_show@held"]
  "*" = ["meeting_booked@booked"]

The whole reference: docs/import.md ("Writing your own mapping").
"""

mappings_app = typer.Typer(
    help="How to write a mapping, the shipped mappings, and a suggestion for a new export.",
    invoke_without_command=True,
)


@mappings_app.callback()
def mappings(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the shipped mappings as JSON."),
) -> None:
    """How to write a mapping, with an example per CRM (and the shipped mappings)."""
    if ctx.invoked_subcommand is not None:
        return
    if as_json:
        print_json(shipped_mappings())
        return
    console.print(GUIDE, markup=False, highlight=False)
    _shipped_table()


@mappings_app.command("help")
def guide() -> None:
    """How to write a mapping, with an example per CRM."""
    console.print(GUIDE, markup=False, highlight=False)


@mappings_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """The shipped mappings and the columns each one reads."""
    if as_json:
        print_json(shipped_mappings())
        return
    _shipped_table()


@mappings_app.command()
def suggest(
    file: Path = typer.Argument(..., help="An export never mapped: .csv, .xlsx or .parquet."),
    kind: str = typer.Option(
        None,
        "--kind",
        help="What the export holds: calls, meetings, deals or leads (default: guessed).",
    ),
    output: Path = typer.Option(
        None, "--output", "-o", help="Write the mapping to this file instead of printing it."
    ),
    sheet: str = typer.Option(None, "--sheet", help="The sheet of an .xlsx file."),
) -> None:
    """Print a mapping TOML for an export: columns recognised by name and content, every
    choice commented, what it could not decide said.

        backplan mappings suggest calls.csv --output calls.toml
        backplan import calls.csv --mapping calls.toml
    """
    suggestion = suggest_for_file(file, kind=kind, sheet=sheet)
    if output is None:
        console.print(suggestion.toml, markup=False, highlight=False, soft_wrap=True, end="")
        return
    output.write_text(suggestion.toml, encoding="utf-8")
    error_console.print(
        f"Wrote a mapping for {escape(file.name)} ({suggestion.kind}) to {escape(str(output))}; "
        f"import with: backplan import {escape(str(file))} --mapping {escape(str(output))}",
        highlight=False,
    )
    for item in suggestion.undecided:
        error_console.print(f"[yellow]not decided:[/] {escape(item)}", highlight=False)


def _shipped_table() -> None:
    table = Table(title="Mappings (backplan import FILE --mapping NAME)", title_justify="left")
    table.add_column("name")
    table.add_column("for")
    table.add_column("reads columns (first found of each)")
    for m in shipped_mappings():
        fields = [*m["columns"].items(), *m["dates"].items()]
        table.add_row(m["name"], m["label"], "; ".join(f"{k}: {v[0]}" for k, v in fields if v))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(mappings_app, name="mappings")
