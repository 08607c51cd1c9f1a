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

from grader.engine.i18n import N_, _, language  # noqa: E402
from grader.reporters.classreport import ClassReport  # noqa: E402

_STYLE = {"svg.fonttype": "path", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
# Tried glyph by glyph after matplotlib's own DejaVu Sans, for Chinese labels and students' names.
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei")
TOTAL_POINTS = N_("total points")
STUDENTS = N_("students")


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
