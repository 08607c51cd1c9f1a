"""The report's figures, drawn with matplotlib (Agg, no display) and returned as inline SVG.

Text is drawn as outlines (``svg.fonttype: path``), so a student's name ends up as
shapes in the picture, never as markup; mathtext is off for every label. Labels and
legends follow the language in use; Chinese is drawn with an installed CJK font
(Debian: ``fonts-wqy-microhei`` or ``fonts-noto-cjk``), and stays English where none is.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402

from grader.engine.i18n import N_, _, language  # noqa: E402
from grader.reporters.classreport import STATES, ClassReport, state_label  # noqa: E402

COLOURS = {"done": "#2e7d32", "in progress": "#f9a825", "not started": "#b0bec5", "error": "#c62828"}
_STYLE = {"svg.fonttype": "path", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
# Tried glyph by glyph after matplotlib's own DejaVu Sans, for Chinese labels and students' names.
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei")
TOTAL_POINTS = N_("total points")
STUDENTS = N_("students")
SHARE = N_("share of the exercise's points")


_CJK_FILES = ("wqy-", "notosanscjk", "notosanssc", "sourcehansans")  # how their files are named


@functools.cache
def cjk_fonts() -> tuple[str, ...]:
    """The fonts of :data:`CJK_FONTS` that are installed (also when installed after matplotlib cached its list)."""
    if not _installed(CJK_FONTS):
        for path in font_manager.findSystemFonts():
            if Path(path).name.lower().startswith(_CJK_FILES):
                font_manager.fontManager.addfont(path)
    return _installed(CJK_FONTS)


def _installed(names: tuple[str, ...]) -> tuple[str, ...]:
    known = {font.name for font in font_manager.fontManager.ttflist}
    return tuple(name for name in names if name in known)


def _style() -> dict[str, object]:
    return {**_STYLE, "font.family": ["DejaVu Sans", *cjk_fonts()]}


def _drawable() -> bool:
    """Whether labels can be drawn in the language in use (English always; others need a CJK font)."""
    return language() == "en" or bool(cjk_fonts())


def _label(message: str) -> str:
    return _(message) if _drawable() else message


def _state(state: str) -> str:
    return state_label(state) if _drawable() else state


def _svg(fig, salt: str) -> str:
    """The figure as an ``<svg>`` element; ``salt`` keeps ids apart between figures of one page."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def histogram(report: ClassReport) -> str:
    totals = [s.total for s in report.students if s.total is not None]
    top = report.summary.max_score or max(totals, default=1.0) or 1.0
    with matplotlib.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 2.6))
        ax.hist(totals, bins=min(20, max(1, int(top))), range=(0, top), color="#1565c0", edgecolor="white")
        ax.set_xlabel(_label(TOTAL_POINTS), parse_math=False)
        ax.set_ylabel(_label(STUDENTS), parse_math=False)
        ax.yaxis.get_major_locator().set_params(integer=True)
        return _svg(fig, "histogram")


def exercise_states(report: ClassReport) -> str:
    names = report.exercises
    with matplotlib.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(names) + 0.9))
        left = [0] * len(names)
        for state in STATES:
            counts = [report.states[n][state] for n in names]
            ax.barh(names, counts, left=left, color=COLOURS[state], label=_state(state))
            left = [a + b for a, b in zip(left, counts)]
        ax.invert_yaxis()
        ax.set_xlabel(_label(STUDENTS), parse_math=False)
        ax.set_yticks(range(len(names)), names, parse_math=False)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        return _svg(fig, "states")


def heat_map(report: ClassReport) -> str:
    """Students (rows) by exercises (columns), coloured by the share of points; grey: not graded."""
    students, names = report.students, report.exercises
    if not students or not names:
        return ""  # nothing graded: no map to draw
    cells = [[s.fraction(n) for n in names] for s in students]
    masked = [[float("nan") if v is None else v for v in row] for row in cells]
    colours = LinearSegmentedColormap.from_list("points", ["#ffebee", "#ffe082", "#2e7d32"]).with_extremes(bad="#eceff1")
    with matplotlib.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(0.45 * len(names) + 2.4, 0.22 * len(students) + 1.2))
        image = ax.imshow(masked, cmap=colours, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(names)), [n[:4] for n in names], parse_math=False)
        ax.set_yticks(range(len(students)), [s.row.get("student", s.name) for s in students], parse_math=False)
        ax.tick_params(length=0)
        ax.xaxis.tick_top()
        bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
        bar.set_label(_label(SHARE), parse_math=False)
        return _svg(fig, "heatmap")
