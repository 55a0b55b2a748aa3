"""The clinical commands of the CLI: ``taperplan score`` and ``taperplan review``.

Loaded by the root group in :mod:`taperplan.cli.main` only when one of them
runs or shows its help (lazily loaded subcommands). What only ``review`` uses
(the log readers and the review rules) is reached through the package's
lazily loaded names, so ``score`` does not load it. They follow the CLI's
exit codes: 0 success; 2 bad input, with a message on stderr naming the file
(or option), the field and the fix, and nothing on stdout; 1 an internal
error.
"""

from __future__ import annotations

import datetime as dt
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import click

import taperplan
from taperplan import formats
from taperplan._statement import SAFETY
from taperplan.cli.terminal import echo
from taperplan.cli.types import ISO_DATE
from taperplan.errors import InvalidLogError, InvalidScoreError, Problem
from taperplan.reference.products import catalogue
from taperplan.reviewing.scales import (
    Scale,
    ScaleItem,
    ScaleResult,
    scale,
    scale_result_to_dict,
    scales,
)

if TYPE_CHECKING:
    from taperplan.reviewing.results import Flag, Review

_FORMATS = click.Choice(["table", "json"])
_WIDTH = 100


def _stdin_is_tty() -> bool:
    """Whether a person can answer prompts (tests replace this)."""
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty and isatty())


def _option_name(item: ScaleItem) -> str:
    return "--" + item.key.replace("_", "-")


def _legal(item: ScaleItem) -> str:
    return ", ".join(str(value) for value in item.values)


# --- score -----------------------------------------------------------------------


def _answers(found: Scale, given: dict[str, str | None]) -> dict[str, int]:
    """The item scores from the options, prompting for missing ones on a terminal.

    Raises:
        InvalidScoreError: every illegal value, and every missing item when
            there is no terminal to ask, at once (each named by its option).
    """
    problems: list[Problem] = []
    answers: dict[str, int] = {}
    missing: list[ScaleItem] = []
    for item in found.items:
        raw = given.get(item.key)
        fix = f"use one of {_legal(item)}"
        if raw is None:
            missing.append(item)
        elif not raw.strip().isdigit() or int(raw) not in item.values:
            problems.append(Problem(_option_name(item), f"{raw!r} is not a legal score", fix))
        else:
            answers[item.key] = int(raw)
    if problems or (missing and not _stdin_is_tty()):
        problems += [
            Problem(
                _option_name(item),
                "missing",
                f"give {_option_name(item)} with one of {_legal(item)}",
            )
            for item in missing
        ]
        raise InvalidScoreError(found.key, problems)
    for item in missing:
        value = click.prompt(
            f"{item.key}: {item.label}",
            type=click.Choice([str(v) for v in item.values]),
            err=True,
        )
        answers[item.key] = int(value)
    return answers


def _score_table(found: Scale, result: ScaleResult) -> str:
    labels = {item.key: item for item in found.items}
    rows = [("item", "score", "legal scores")]
    rows += [(key, str(score), _legal(labels[key])) for key, score in result.items]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{found.name}, {found.rater}-rated", ""]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.append("")
    if result.band is not None:
        band = result.band
        lines.append(
            f"Total: {result.total} of {result.maximum}: {band.label} ({band.low}–{band.high})"
        )
    else:
        lines.append(f"Total: {result.total} of {result.maximum}")
    if found.note:
        lines.append(textwrap.fill(found.note, _WIDTH))
    lines.append(textwrap.fill(f"Source: {catalogue().source(found.source).citation}", _WIDTH))
    lines += ["", textwrap.fill(SAFETY, _WIDTH)]
    return "\n".join(lines)


def _score_callback(key: str) -> Any:
    def run(fmt: str, **given: str | None) -> None:
        found = scale(key)
        result = found.score(_answers(found, given))
        if fmt == "json":
            data = {**scale_result_to_dict(result), "name": found.name, "disclaimer": SAFETY}
            echo(formats.to_json(data), nl=False)
        else:
            echo(_score_table(found, result))

    return run


def _score_command(key: str) -> click.Command:
    found = scale(key)
    params: list[click.Parameter] = [
        click.Option(
            [_option_name(item), item.key],
            default=None,
            metavar="{" + "|".join(str(v) for v in item.values) + "}",
            help=f"{item.label}. Legal scores: {_legal(item)}.",
        )
        for item in found.items
    ]
    params.append(
        click.Option(
            ["--format", "fmt"],
            type=_FORMATS,
            default="table",
            show_default=True,
            help="Output format.",
        )
    )
    first = found.items[0]
    return click.Command(
        name=key,
        params=params,
        callback=_score_callback(key),
        short_help=f"Score the {found.name}.",
        help=(
            f"Score the {found.name}: {found.rater}-rated, {len(found.items)} items, "
            f"total 0 to {found.maximum}.\n\n"
            "Give each item's score as an option; on a terminal, taperplan asks for the "
            "items left out. Every wrong or missing item is reported at once.\n\n"
            f"\b\nExample:\n  taperplan score {key} {_option_name(first)} "
            f"{first.values[1]} ... --format json"
        ),
        epilog=SAFETY,
    )


class _ScoreGroup(click.Group):
    """``taperplan score SCALE``: one subcommand per packaged scale, built when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [found.key for found in scales()]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.list_commands(ctx):
            return None
        return _score_command(cmd_name)


@click.group(cls=_ScoreGroup)
def score() -> None:
    """Score a withdrawal scale: cows, sows (Handelsman) or sows-gossop.

    \b
    Examples:
      taperplan score cows --help
      taperplan score cows --pulse 1 --sweating 0 ... --format json
      taperplan score sows-gossop        (asks for each item on a terminal)
    """


# --- review ----------------------------------------------------------------------


def _sources(flags: tuple[Flag, ...]) -> list[str]:
    keys: dict[str, None] = {}
    for flag in flags:
        keys.update(dict.fromkeys((flag.source, *flag.also)))
        if flag.pause_preview is not None:
            keys[flag.pause_preview.source] = None
    return [f"  {key}: {catalogue().source(key).citation}" for key in keys]


def _flag_lines(number: int, flag: Flag) -> list[str]:
    where = f" (step {flag.step_id})" if flag.step_id else ""
    lines = [f"{number}. [{flag.kind}] {flag.rule}{where}"]
    lines += textwrap.wrap(flag.message, _WIDTH, initial_indent="   ", subsequent_indent="   ")
    lines.append("   Evidence:")
    lines += [f"     {e.day.isoformat()}  {e.finding}" for e in flag.evidence]
    preview = flag.pause_preview
    if preview is not None:
        cut = (
            f"next cut {preview.next_cut_now} -> {preview.next_cut_paused}; "
            if preview.next_cut_now is not None
            else ""
        )
        lines.append(
            f"   If paused from {preview.hold_from} for {preview.held_days} days: "
            f"{cut}stop {preview.stop_now} -> {preview.stop_paused}"
        )
    also = f"; also {', '.join(flag.also)}" if flag.also else ""
    lines.append(f"   Source: {flag.source}{also}")
    return lines


def _review_table(result: Review) -> str:
    count = len(result.flags)
    lines = [
        f"Review of plan {result.plan_id} (revision {result.revision}) on {result.on.isoformat()}",
        f"{result.entries} log entries reviewed, {result.ignored} after "
        f"{result.on.isoformat()} ignored; {count} flag{'s' if count != 1 else ''}.",
        "",
    ]
    for number, flag in enumerate(result.flags, 1):
        lines += [*_flag_lines(number, flag), ""]
    if not result.flags:
        lines += ["No flags: no entry meets a review rule.", ""]
    lines.append("Notes:")
    for note in result.notes:
        lines += textwrap.wrap(
            note.message, _WIDTH, initial_indent="  - ", subsequent_indent="    "
        )
    if result.flags:
        lines += ["", "Sources:", *_sources(result.flags)]
    lines += ["", textwrap.fill(SAFETY, _WIDTH)]
    return "\n".join(lines)


@click.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False, path_type=str))
@click.argument("log_file", metavar="LOG", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--on",
    type=ISO_DATE,
    default=None,
    help="The day of the review (YYYY-MM-DD); later entries are ignored. "
    "Default: the date of the last log entry.",
)
@click.option(
    "--pause-days",
    type=click.IntRange(1, 365),
    default=None,
    help="Days a previewed pause holds the dose. Default: 14 (see docs/review.md).",
)
@click.option(
    "--format", "fmt", type=_FORMATS, default="table", show_default=True, help="Output format."
)
def review(
    plan_file: str, log_file: str, on: dt.datetime | None, pause_days: int | None, fmt: str
) -> None:
    """Review a symptom LOG (.csv or .toml) against a plan written by `taperplan plan --format json`.

    Flags moderate withdrawal after a cut (consider pausing, with the dates a
    pause would give), symptoms past the expected window (clinician review),
    pain patterns (hyperalgesia or tolerance considerations) and craving or
    loss of control (offer an evaluation for opioid use disorder), each with
    its evidence and source.

    \b
    Examples:
      taperplan plan regimen.toml --start 2027-01-04 --format json > plan.json
      taperplan review plan.json log.csv
      taperplan review plan.json log.toml --on 2027-02-01 --format json
    """
    timeline = formats.load_timeline(plan_file)
    log = formats.load_log(log_file)
    if on is not None:
        day = on.date()
    elif log:
        day = log[-1].day
        echo(
            f"taperplan: --on not given; reviewing as of {day.isoformat()}, "
            "the date of the last log entry",
            err=True,
        )
    else:
        raise InvalidLogError(
            log_file, [Problem("", "no entries", "add entries, or give --on YYYY-MM-DD")]
        )
    result = taperplan.review(timeline, log, on=day, pause_days=pause_days)
    if fmt == "json":
        echo(formats.to_json({**formats.review_to_dict(result), "disclaimer": SAFETY}), nl=False)
    else:
        echo(_review_table(result))
