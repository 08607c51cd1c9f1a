"""The class report's numbers (quartiles, failure and tag counts) and its escaping, without a browser."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy
import pytest

from grader.engine import i18n
from grader.engine.model import CheckResult, GradeResult, Outcome, Tag
from grader.reporters import classreport, gradebook, json_v3

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

from grader.reporters import html  # noqa: E402


def _case(exercise: str, check: str, outcome: Outcome, tag: Tag | None = None, message: str = "", points: float = 1,
          device: str | None = None, output: str = "") -> CheckResult:
    score = points if outcome is Outcome.PASSED else 0.0
    return CheckResult(exercise, check, device, outcome, score, points, message, output, tag=tag)


def _write(out: Path, student: str, *results: CheckResult) -> None:
    (out / student).mkdir(parents=True)
    (out / student / "results.json").write_text(json_v3.dumps(GradeResult(student, results)))


P, F, N, E = Outcome.PASSED, Outcome.FAILED, Outcome.NOT_STARTED, Outcome.ERROR


@pytest.fixture
def graded(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    _write(out, "ana", _case("ex01_a", "one", P), _case("ex01_a", "two", P, points=2), _case("ex02_b", "three", P))
    _write(out, "ben", _case("ex01_a", "one", F, Tag.NOT_IN_PLACE, "made a copy"), _case("ex01_a", "two", P, points=2),
           _case("ex02_b", "three", N, Tag.NOT_STARTED, "Not started yet"))
    _write(out, "cho", _case("ex01_a", "one", F, Tag.NOT_IN_PLACE, "made a copy"),
           _case("ex01_a", "two", F, Tag.WRONG_SHAPE, "shape (3,)", points=2),
           _case("ex02_b", "three", E, Tag.MISSING_FILE, "No file ex02_b.py"))
    _write(out, "dan", _case("ex01_a", "one", F, Tag.WRONG_VALUE, "values differ"),
           _case("ex01_a", "two", Outcome.TIMEOUT, Tag.TIMEOUT, "Took longer", points=2),
           _case("ex02_b", "three", P))
    (out / "eve").mkdir()  # the grade command failed: no results.json
    return out


def test_quartiles_match_numpy() -> None:
    for values in ([3.0], [1.0, 2.0], [0.0, 9.0, 15.0, 43.0], [5.0, 1.0, 4.0, 4.0, 2.5, 10.0, 7.0]):
        q1, median, q3 = classreport.quartiles(sorted(values))
        assert (q1, median, q3) == pytest.approx(tuple(numpy.percentile(values, [25, 50, 75])))
    with pytest.raises(ValueError):
        classreport.quartiles([])


def test_summary_takes_its_numbers_from_the_gradebook(graded: Path) -> None:
    report = classreport.load(graded)
    rows = list(csv.DictReader(io.StringIO(gradebook.dumps(graded, classreport.find_students(graded)))))
    totals = [float(r["total"]) for r in rows if r["total"]]
    assert [{k: s.row.get(k, "") for k in report.header} for s in report.students] == rows
    assert report.summary.submissions == 5 and report.summary.graded == 4 == len(totals)
    assert report.summary.median == numpy.median(totals) and report.summary.max_score == 4
    assert report.summary.full_marks == 1  # ana
    assert report.summary.not_graded == 1  # eve
    assert report.summary.attention == len(report.attention) == 4  # all but ana


def test_exercise_states(graded: Path) -> None:
    report = classreport.load(graded)
    assert report.states["ex01_a"] == {"done": 1, "in progress": 2, "not started": 0, "error": 2}  # dan: timeout
    assert report.states["ex02_b"] == {"done": 2, "in progress": 0, "not started": 2, "error": 1}  # cho: no file


def test_causes_sorted_by_students_with_tags_and_the_common_message(graded: Path) -> None:
    checks = classreport.load(graded).causes
    assert [(c.check, c.students, c.tried) for c in checks] == [("one", 3, 4), ("two", 2, 4)]
    assert checks[0].tags == (("not_in_place", 2), ("wrong_value", 1))
    assert (checks[0].message, checks[0].message_count) == ("made a copy", 2)
    assert checks[1].tags == (("wrong_shape", 1), ("timeout", 1))
    assert classreport.load(graded).tags == [("not_in_place", 2), ("wrong_value", 1), ("wrong_shape", 1), ("timeout", 1)]


def test_results_json_round_trip() -> None:
    result = GradeResult("s", (
        _case("ex01_a", "one", F, Tag.WRONG_DTYPE, "m", device="cuda", output="printed"),
        _case("ex01_a", "two", P),
        _case("ex02_b", "three", Outcome.SKIPPED),
    ))
    assert json_v3.from_dict(json_v3.to_dict(result), "s") == result


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        self.tags.append(tag)


def test_names_messages_and_output_are_text_never_markup(tmp_path: Path) -> None:
    out = tmp_path / "out"
    evil = "<b>x</b><script>alert(1)</script></table>"
    _write(out, "<b>x", _case("ex01_a", "one", F, Tag.EXCEPTION, evil, output=evil), _case("ex01_a", "two", P))
    _write(out, "$x_1$", _case("ex01_a", "one", P), _case("ex01_a", "two", P))  # no mathtext
    html.write(out)
    for page in (out / "report.html", out / "<b>x" / "feedback.html"):
        text = page.read_text()
        parser = _Elements()
        parser.feed(text)
        assert "script" not in parser.tags and "b" not in parser.tags
        assert "&lt;script&gt;" in text or "&lt;b&gt;x" in text
    assert "&lt;b&gt;x" in (out / "report.html").read_text()


def test_report_command_rebuilds_the_pages(graded: Path, capsys: pytest.CaptureFixture) -> None:
    from grader.frontends import cli

    assert cli.main(["report", str(graded)]) == cli.EXIT_OK
    assert (graded / "report.html").is_file()
    assert all((graded / s / "feedback.html").is_file() for s in classreport.find_students(graded))
    assert "could not be graded" in (graded / "eve" / "feedback.html").read_text()
    assert "class report:" in capsys.readouterr().out


def test_report_command_explains_what_is_missing(tmp_path: Path, graded: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture) -> None:
    import sys

    from grader.frontends import cli

    assert cli.main(["report", str(tmp_path / "nothing")]) == cli.EXIT_USAGE
    assert "grade the class first" in capsys.readouterr().err
    import grader.reporters

    monkeypatch.delitem(sys.modules, "grader.reporters.html", raising=False)
    monkeypatch.delattr(grader.reporters, "html", raising=False)
    monkeypatch.setitem(sys.modules, "jinja2", None)
    assert cli.main(["report", str(graded)]) == cli.EXIT_USAGE
    assert "pip install 'torch-exercise-kit[report]'" in capsys.readouterr().err


class _Texts(HTMLParser):
    """The page's words: text outside code, captured output, figures, tags and gradebook cells."""

    SKIP = {"pre", "code", "svg", "style"}

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.lang = ""
        self._open: list[bool] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang", "")
        if tag not in ("br", "meta"):
            data = "tag" in (attributes.get("class") or "").split() or "data-column" in attributes
            self._open.append(tag in self.SKIP or data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag not in ("br", "meta"):
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(self._open):
            self.texts.append(data.strip())


def _texts(page: str) -> _Texts:
    parser = _Texts()
    parser.feed(page)
    return parser


def _template_messages() -> list[str]:
    """The English of every message in the templates, each placeholder's text left out."""
    from grader.authoring import catalogs

    found = []
    for m in catalogs.read(catalogs.TEMPLATE):
        if any("/templates/" in file for file, _ in m.locations):
            for text in m.id if isinstance(m.id, tuple) else (m.id,):
                found += [piece.strip(" .:") for piece in re.split(r"%\(\w+\)s", text)]
    return sorted({piece for piece in found if re.search("[A-Za-z]{2}", piece)})


def _pages(graded: Path, lang: str) -> dict[str, str]:
    i18n.use_language(lang)
    html.write(graded)
    return {name: (graded / name).read_text() for name in ("report.html", "ben/feedback.html", "eve/feedback.html")}


def test_english_pages_keep_their_text(graded: Path) -> None:
    pages = _pages(graded, "en")
    report, feedback = pages["report.html"], pages["ben/feedback.html"]
    assert _texts(report).lang == "en"
    for text in ("Class report", "5 submissions graded into <code>out</code>.", "Points are those of",
                 "Needs attention", "Where points were lost", "2 of 3", "in progress", "not started",
                 "no points, though the exercise was attempted", "Similar submissions"):
        assert text in report, text
    assert "asked to change a tensor or model in place, made a new one instead" in report  # a tag's meaning
    for text in ("Feedback for ben", "points.", "what the grader found", "not started", "failed"):
        assert text in feedback


def test_chinese_pages_have_no_english_template_text_left(graded: Path) -> None:
    pages = _pages(graded, "zh")
    english = _template_messages()
    assert "Where points were lost" in english and "submissions graded into" in english
    for name, page in pages.items():
        texts = _texts(page)
        assert texts.lang == "zh-Hans", name
        left = [(text, message) for text in texts.texts for message in english
                if re.search(rf"(?<![\w]){re.escape(message)}(?![\w])", text)]
        assert not left, f"{name}: English template text in the Chinese page: {left}"
    report = pages["report.html"]
    for text in ("班级报告", "已评分 5 份提交", "需要关注", "失分之处", "进行中", "未开始", "已完成", "检查失败的原因",
                 "要求原地修改张量或模型，却新建了一个", "3 人中的 2 人"):
        assert text in report, text
    assert "<code>out</code>" in report  # the folder's markup, inside the translated sentence
    assert "ben 的反馈" in pages["ben/feedback.html"] and "未开始" in pages["ben/feedback.html"]
    assert "这份提交无法评分" in pages["eve/feedback.html"]


def test_chinese_figures_are_labelled_in_chinese_where_a_font_can_draw_them(graded: Path) -> None:
    from grader.reporters import figures

    report = classreport.load(graded)
    i18n.use_language("zh")
    drawn = figures.histogram(report)
    if not figures.cjk_fonts():
        pytest.skip("no CJK font installed (Debian: fonts-wqy-microhei); the labels stay English")
    for label in ("总分", "学生人数"):
        assert label in drawn, label  # matplotlib names each drawn text in an SVG comment
    assert "total points" not in drawn
