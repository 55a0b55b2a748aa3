"""A dose-over-time chart of a plan: SVG or PNG, drawn with matplotlib.

matplotlib is an optional extra (``pip install "taperplan[chart]"``). It is
imported only inside :func:`plan_chart`, so ``import taperplan`` stays fast
and works without it; when it is missing, :func:`plan_chart` raises
:class:`MissingDependencyError` naming the extra to install.

The chart shows the total MME/day as a step line over the dates of the plan
(or, where MME does not apply, each medication's daily amount), with the
withdrawal windows shaded and hatched, the check-ins as dotted lines, axis
labels and a title. It is drawn in black and greys, with hatching and line
styles instead of colours, so it reads when printed in black and white.

Output is deterministic: the same plan gives the same bytes (fixed
``svg.hashsalt``, no date or software version in the metadata, text kept as
text with English month names that do not depend on the locale).

:func:`chart_data` computes the figures the chart draws without matplotlib, so
the handout can list the same data in a table.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

import attrs

from taperplan.errors import MissingDependencyError, NotApplicableError
from taperplan.model.plan import MedicationDose, TaperPlan
from taperplan.reference.products import Product
from taperplan.reference.wording import chart_words, form_words, product_words
from taperplan.units import format_decimal

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The SVG ids of the chart's parts, for tests and for styling.
WINDOW_ID = "withdrawal-window-{index}"
CHECK_IN_ID = "check-in-{index}"
TITLE_ID = "taperplan-chart-title"
DESC_ID = "taperplan-chart-desc"

#: How many days of the dose taken now the chart shows before the first cut
#: (a drawing choice, so the first cut is visible as a step).
_LEAD_IN_DAYS = 7

_LINE_STYLES = ("-", "--", "-.", ":")


def medication_words(part: MedicationDose) -> str:
    """``oxycodone extended-release tablets``: a medication named for people."""
    return plain_words(part.product)


def plain_words(product: Product) -> str:
    """``oxycodone extended-release tablets``: a product named for people."""
    return product_words(product, "plain")


@attrs.frozen
class Series:
    """One line of the chart: a value per step, held from ``starts[i]`` to the next start.

    ``values[i]`` applies from ``starts[i]`` up to the day before
    ``starts[i + 1]``; the last start is the day after the plan ends.
    """

    label: str
    starts: tuple[dt.date, ...]
    values: tuple[Decimal, ...]


@attrs.frozen
class ChartData:
    """What the chart draws, as exact values (floats only at the drawing edge)."""

    ylabel: str
    unit: str
    series: tuple[Series, ...]
    windows: tuple[tuple[dt.date, dt.date], ...]
    check_ins: tuple[dt.date, ...]
    start: dt.date
    stop: dt.date


def _starts(plan: TaperPlan) -> tuple[dt.date, ...]:
    lead_in = plan.start - dt.timedelta(days=_LEAD_IN_DAYS)
    return (lead_in, *(s.start for s in plan.steps), plan.end + dt.timedelta(days=1))


def chart_data(plan: TaperPlan) -> ChartData:
    """The figures :func:`plan_chart` draws for ``plan``.

    The total MME/day when every step has one; otherwise each medication's
    daily amount (in its unit when all share one, else as a percent of the
    amount taken now).
    """
    starts = _starts(plan)
    windows = tuple(
        (s.withdrawal_window.start, s.withdrawal_window.end)
        for s in plan.steps
        if s.withdrawal_window is not None
    )
    check_ins = tuple(sorted({d for s in plan.steps for d in s.check_ins}))
    totals = [plan.baseline_total_mme_per_day, *(s.total_mme_per_day for s in plan.steps)]
    if all(t is not None for t in totals):
        values = tuple(t for t in totals if t is not None)
        words = chart_words()
        series: tuple[Series, ...] = (Series(words.total_line, starts, (*values, values[-1])),)
        ylabel, unit = words.total_axis, words.total_unit
    else:
        series, ylabel, unit = _amount_series(plan, starts)
    return ChartData(
        ylabel=ylabel,
        unit=unit,
        series=series,
        windows=windows,
        check_ins=check_ins,
        start=plan.start,
        stop=plan.stop_date,
    )


def _amount_series(
    plan: TaperPlan, starts: tuple[dt.date, ...]
) -> tuple[tuple[Series, ...], str, str]:
    """Each drug's daily amount (all its products together: a product the plan adds
    carries on its drug's line), when MME does not apply to the whole plan."""
    units = {part.daily_amount.unit for part in plan.baseline}
    same_unit = len(units) == 1
    keys: list[tuple[str, object]] = []
    products: dict[tuple[str, object], list[MedicationDose]] = {}
    for part in (*plan.baseline, *(m for s in plan.steps for m in s.medications if m.doses)):
        key: tuple[str, object] = (part.drug, part.daily_amount.unit)
        if key not in keys:
            if part.index >= len(plan.regimen.medications):
                continue  # an added product's drug is already a line
            keys.append(key)
        products.setdefault(key, [])
        if all(p.product != part.product for p in products[key]):
            products[key].append(part)
    lines = []
    for key in keys:
        label = _drug_words(products[key])
        amounts = [_daily(plan.baseline, key)]
        amounts.extend(_daily(step.medications, key) for step in plan.steps)
        if not same_unit:
            first = amounts[0]
            amounts = [a * 100 / first if first else Decimal(0) for a in amounts]
        lines.append(Series(label, starts, (*amounts, amounts[-1])))
    words = chart_words()
    if not same_unit:
        return tuple(lines), words.percent_axis, words.percent_unit
    unit = next(iter(units)).value
    if unit == "mcg/h":
        return tuple(lines), words.patch_axis, words.patch_unit
    return (
        tuple(lines),
        words.amount_axis.format(unit=unit),
        words.amount_unit.format(unit=unit),
    )


def _drug_words(parts: Sequence[MedicationDose]) -> str:
    """``oxycodone tablets and oral solution``: a drug's line named by its products."""
    if len(parts) == 1:
        return medication_words(parts[0])
    forms: list[str] = []
    for part in parts:
        words = form_words(part.product.form, "plain")
        if words not in forms:
            forms.append(words)
    first = medication_words(parts[0])
    joined = chart_words().forms_and.join(forms)
    return first.removesuffix(form_words(parts[0].product.form, "plain")) + joined


def _daily(parts: Sequence[MedicationDose], key: tuple[str, object]) -> Decimal:
    """The daily amount of one drug (in one unit) over ``parts``."""
    return sum(
        (p.daily_amount.amount for p in parts if (p.drug, p.daily_amount.unit) == key),
        Decimal(0),
    )


def describe_chart(data: ChartData) -> str:
    """A sentence that says what the chart shows, for screen readers."""
    words = chart_words()
    return words.describe.format(
        what=data.series[0].label if len(data.series) == 1 else words.each_medication,
        unit=data.unit,
        start=data.start.isoformat(),
        stop=data.stop.isoformat(),
        windows=len(data.windows),
        check_ins=len(data.check_ins),
    )


def _date_labels(days: Sequence[dt.date]) -> list[str]:
    """``4 Jan`` for each tick, with the year on the first tick and where it changes."""
    months = chart_words().months
    labels = []
    year = None
    for day in days:
        text = f"{day.day} {months[day.month - 1]}"
        if day.year != year:
            text += f"\n{day.year}"
            year = day.year
        labels.append(text)
    return labels


def _draw(ax: Axes, data: ChartData) -> None:
    from matplotlib import dates as mdates  # noqa: PLC0415 - optional dependency

    words = chart_words()
    for index, (start, end) in enumerate(data.windows):
        ax.axvspan(
            start,  # type: ignore[arg-type]  # matplotlib converts dates
            end + dt.timedelta(days=1),  # type: ignore[arg-type]
            facecolor="0.88",
            edgecolor="0.35",
            hatch="///",
            linewidth=0,
            gid=WINDOW_ID.format(index=index),
            label=words.window if index == 0 else "_nolegend_",
            zorder=1,
        )
    for index, day in enumerate(data.check_ins):
        ax.axvline(
            day,  # type: ignore[arg-type]
            color="black",
            linestyle=(0, (1, 2)),
            linewidth=1.2,
            gid=CHECK_IN_ID.format(index=index),
            label=words.check_in if index == 0 else "_nolegend_",
            zorder=2,
        )
    for index, line in enumerate(data.series):
        days: Any = list(line.starts)  # matplotlib converts dates; its stubs want arrays
        ax.step(
            days,
            [float(v) for v in line.values],
            where="post",
            color="black",
            linestyle=_LINE_STYLES[index % len(_LINE_STYLES)],
            linewidth=2.4,
            label=line.label,
            gid=f"dose-line-{index}",
            zorder=3,
        )
    top = max(max(line.values) for line in data.series)
    ax.set_ylim(0, float(top) * 1.08 if top else 1.0)
    ax.set_xlim(data.series[0].starts[0], data.series[0].starts[-1])  # type: ignore[arg-type]
    ax.set_title(words.title, fontsize=13, loc="left")
    ax.set_ylabel(data.ylabel)
    ax.set_xlabel(words.x_axis)
    ax.grid(axis="y", color="0.8", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ticks = [mdates.num2date(t).date() for t in locator()]  # type: ignore[no-untyped-call]
    ax.set_xticks(
        [mdates.date2num(t) for t in ticks],  # type: ignore[no-untyped-call]
        labels=_date_labels(ticks),
    )
    ax.figure.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=9)


def _insert_accessibility(svg: bytes, data: ChartData) -> bytes:
    """Add ``role``, ``aria-labelledby``, ``<title>`` and ``<desc>`` to the root ``<svg>``."""

    text = svg.decode("utf-8")
    open_at = text.index("<svg ")
    close_at = text.index(">", open_at)
    head = text[open_at:close_at]
    label = f' role="img" aria-labelledby="{TITLE_ID} {DESC_ID}"'
    inner = (
        f'\n <title id="{TITLE_ID}">{escape(chart_words().title)}</title>'
        f'\n <desc id="{DESC_ID}">{escape(describe_chart(data))}</desc>'
    )
    return (text[:open_at] + head + label + ">" + inner + text[close_at + 1 :]).encode("utf-8")


def plan_chart(plan: TaperPlan, *, fmt: str) -> bytes:
    """Draw ``plan``'s dose over time as an SVG or PNG image.

    Args:
        plan: the plan to draw.
        fmt: ``"svg"`` (text kept as text, with ``<title>`` and ``<desc>`` for
            screen readers) or ``"png"`` (150 dpi).

    Returns:
        The image file's bytes; the same plan always gives the same bytes.

    Raises:
        MissingDependencyError: matplotlib is not installed
            (``pip install "taperplan[chart]"``).
        NotApplicableError: ``fmt`` is neither ``"svg"`` nor ``"png"``.
    """
    if fmt not in ("svg", "png"):
        raise NotApplicableError(f"chart format {fmt!r}: use 'svg' or 'png' (the file's suffix)")
    try:
        import matplotlib as mpl  # noqa: PLC0415 - optional dependency, imported lazily
        from matplotlib.figure import Figure  # noqa: PLC0415 - optional dependency
    except ImportError as error:
        raise MissingDependencyError("matplotlib", "chart", "the dose chart") from error
    data = chart_data(plan)
    with mpl.rc_context(
        {
            # A fixed salt makes the SVG's generated ids the same on every run.
            "svg.hashsalt": "taperplan",
            # Text stays text: searchable, read by screen readers, scales when printed.
            "svg.fonttype": "none",
            # Labels come from data: a "$" must never start mathtext.
            "text.parse_math": False,
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "hatch.linewidth": 0.8,
            "axes.unicode_minus": False,
            "path.simplify": False,
        }
    ):
        figure = Figure(figsize=(7.5, 3.6), layout="constrained")
        _draw(figure.add_subplot(), data)
        buffer = io.BytesIO()
        if fmt == "svg":
            metadata: dict[str, Any] = {"Creator": None, "Date": None, "Format": None, "Type": None}
            figure.savefig(buffer, format="svg", metadata=metadata)
            return _insert_accessibility(buffer.getvalue(), data)
        figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
        return buffer.getvalue()


def format_value(value: Decimal) -> str:
    """A chart figure for people: one decimal place at most (``52.5``, ``60``)."""
    return format_decimal(value.quantize(Decimal("0.1")))
