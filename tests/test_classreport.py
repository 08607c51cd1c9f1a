"""The class report's numbers (quartiles, failure and tag counts) and its escaping, without a browser."""

from __future__ import annotations

import csv
import json
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


# --- triage: who needs attention, one row per cause --------------------------------------------------

import class_samples  # noqa: E402


def test_needs_attention_names_the_students_to_help_first_and_never_one_with_full_marks(graded: Path) -> None:
    attention = classreport.load(graded).attention
    assert [(a.student.id, a.kind) for a in attention] == [
        ("eve", "not graded"), ("dan", "error"), ("ben", "not started"), ("cho", "not started")]
    dan = attention[1]
    assert dan.broken == (("ex01_a", "Took longer"),)
    assert attention[2].not_started == ("ex02_b",) and attention[3].not_started == ("ex02_b",)  # cho: no file
    assert all(not a.student.full_marks for a in attention)


def test_the_class_of_six_one_row_per_cause(tmp_path: Path) -> None:
    report = classreport.load(class_samples.write_six(tmp_path / "out"))
    causes = [(c.exercise, c.check, c.students) for c in report.causes]
    assert causes == [("ex03_sgd", None, 1), ("ex05_dropout", "dropout_check_1", 1), ("ex12_losses", None, 1)]
    assert report.causes[0].tags == (("syntax_error", 1),)
    assert [(a.student.id, a.kind) for a in report.attention] == [
        ("fay", "not graded"), ("dan", "error"), ("eve", "error"), ("ben", "not started")]
    assert report.attention[0].problem == "error: fay.zip is not a zip file (File is not a zip file)"
    assert report.attention[1].broken[0][1].startswith("Importing ex12_losses.py failed. NameError:")
    assert len(report.attention[3].not_started) == 13
    summary = report.summary
    assert (summary.submissions, summary.graded, summary.not_graded, summary.attention, summary.full_marks) == (
        6, 5, 1, 4, 1)


def test_two_students_with_the_same_import_error_are_one_row_of_two(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for student in ("a", "b"):
        class_samples.write_student(out, student, class_samples.result(student, {
            "ex12_losses": class_samples.import_error("ex12_losses")}))
    class_samples.write_student(out, "c", class_samples.result("c", {"ex12_losses": class_samples.one_wrong("ex12")}))
    causes = classreport.load(out).causes
    assert [(c.exercise, c.check, c.students, c.tried) for c in causes] == [
        ("ex12_losses", None, 2, 3), ("ex12_losses", "losses_check_1", 1, 1)]


def test_the_batch_layout_with_ids_names_and_graded_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    class_samples.write_student(out, "ana-1", class_samples.result("x", {}), "students", name="Ana María")
    class_samples.write_student(out, "ana-2", class_samples.result("x", {}), "students", name="Ana María")
    class_samples.write_student(out, "zoe", None, "students", error="error: zoe.zip is not a zip file")
    (out / "similarity").mkdir()  # never a student
    data = classreport.read_class(out)
    assert [(s.id, s.name, s.href) for s in data.students] == [
        ("ana-1", "Ana María", "students/ana-1"), ("ana-2", "Ana María", "students/ana-2"), ("zoe", "zoe", "students/zoe")]
    assert data.students[0].files["ex03_sgd"] == "ex03_sgd.py"
    assert data.students[2].problem == "error: zoe.zip is not a zip file"
    assert classreport.has_results(out)
    html.write(out)
    report = (out / "report.html").read_text()
    assert 'href="students/ana-1/feedback.html"' in report and "Ana María" in report
    assert "Ana María" in (out / "students" / "ana-2" / "feedback.html").read_text()


def test_today_layout_takes_the_graded_file_from_the_notes(graded: Path) -> None:
    data = json_v3.to_dict(GradeResult("nb", (_case("ex01_a", "one", P),), notes={
        "ex01_a": "ex01_a: graded ex01_a.ipynb; ex01_a.py is ignored (when both exist, the notebook is graded)."}))
    (graded / "nb").mkdir()
    (graded / "nb" / "results.json").write_text(json.dumps(data))
    students = {s.id: s for s in classreport.read_class(graded).students}
    assert students["nb"].files == {"ex01_a": "ex01_a.ipynb"}
    assert students["ben"].files == {"ex01_a": "ex01_a.py", "ex02_b": "ex02_b.py"}
    assert students["cho"].files == {"ex01_a": "ex01_a.py"}  # ex02_b: no file handed in


# --- feedback pages: for the student alone -------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src", "action") and value is not None]


def _links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.links


SECRET = "expected tensor([4.2, 9.9]) for input 31337"


def _hidden_class(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    _write(out, "kim", _case("ex01_a", "one", F, Tag.WRONG_VALUE, "public: values differ"),
           _case("ex01_a", "one", Outcome.SKIPPED, device="cuda", message="CUDA is not available", points=0),
           _case("ex01_a", "two", Outcome.SKIPPED, device="cuda", message="CUDA is not available", points=0),
           CheckResult("ex01_a", "secret_sizes", None, F, 0.0, 2.0, SECRET, output="printed 31337", hidden=True,
                       tag=Tag.WRONG_VALUE),
           CheckResult("ex01_a", "secret_seed", None, P, 3.0, 3.0, "", hidden=True))
    return out


def test_feedback_shows_a_hidden_check_title_points_and_outcome_only(tmp_path: Path) -> None:
    out = _hidden_class(tmp_path)
    html.write(out)
    page = (out / "kim" / "feedback.html").read_text()
    assert "secret_sizes" in page and "secret_seed" in page and "0 / 2" in page and "3 / 3" in page
    assert "31337" not in page and "4.2" not in page
    assert "public: values differ" in page
    assert page.count("CUDA is not available") == 1 and 'data-skipped="2"' in page  # one line for both
    assert all(link.startswith("#") for link in _links(page)), _links(page)
    assert SECRET in (out / "report.html").read_text()  # the instructor's page keeps it


def test_feedback_can_withhold_hidden_checks_entirely(tmp_path: Path) -> None:
    from grader.frontends import cli

    out = _hidden_class(tmp_path)
    assert cli.main(["report", str(out), "--withhold-hidden"]) == cli.EXIT_OK
    page = (out / "kim" / "feedback.html").read_text()
    body = page[page.index("<body>"):]
    assert "secret" not in body and "hidden" not in body
    assert '<strong id="total">0 / 1</strong>' in page  # the points of the checks shown


def test_feedback_names_the_graded_file_and_uses_the_report_status_words(graded: Path) -> None:
    html.write(graded)
    page = (graded / "dan" / "feedback.html").read_text()
    assert "<code>ex01_a.py</code>" in page
    assert '<td class="state-error">error</td>' in page and '<td class="state-done">done</td>' in page
    report = (graded / "report.html").read_text()
    assert '<th class="num">error</th>' in report and '<th class="num">done</th>' in report


# --- empty and broken classes -------------------------------------------------------------------------


def test_an_empty_class_gives_a_report_that_says_so(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    path = html.write(tmp_path / "out")
    page = path.read_text()
    assert 'id="empty"' in page and "No submissions were found" in page


def test_a_class_nobody_could_grade_lists_everyone_with_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for student in ("a", "b"):
        class_samples.write_student(out, student, None, error=f"error: {student}.zip is not a zip file")
    (out / "c").mkdir()
    (out / "c" / "results.json").write_text("{not json")
    page = html.write(out).read_text()
    assert page.count('data-kind="not graded"') == 3
    assert "error: a.zip is not a zip file" in page and "the grader wrote no result for this submission" in page


def test_batch_on_an_empty_folder_writes_a_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from grader.frontends import cli

    (tmp_path / "class").mkdir()
    assert cli.main(["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out")]) == cli.EXIT_USAGE
    assert "No submissions were found" in (tmp_path / "out" / "report.html").read_text()
    printed = capsys.readouterr()
    assert "class report:" in printed.out and "holds no submissions: put one sub-folder or .zip file" in printed.err


# --- similarity ----------------------------------------------------------------------------------------

import similarity_samples  # noqa: E402

from grader.frontends import similar  # noqa: E402
from grader.reporters import similarity  # noqa: E402


@pytest.fixture(scope="module")
def samples_compared(tmp_path_factory: pytest.TempPathFactory) -> similarity.Similarity:
    pytest.importorskip("copydetect")
    folders = similarity_samples.build(tmp_path_factory.mktemp("similar"))
    return similar.compare_class([(n, n.upper(), p) for n, p in folders.items()], list(similarity_samples.EXERCISES))


def test_copied_pairs_are_flagged_and_honest_ones_are_not(samples_compared: similarity.Similarity) -> None:
    flagged = {(p.a, p.b) for p in samples_compared.pairs}
    assert flagged == similarity_samples.COPIED_PAIRS
    assert samples_compared.compared == len(similarity_samples.STUDENTS)


def test_the_stub_is_not_shared_code(tmp_path: Path) -> None:
    pytest.importorskip("copydetect")
    for student in ("a", "b"):
        (tmp_path / student).mkdir()
        for exercise in similarity_samples.EXERCISES:
            stub = similarity_samples.make_stub(similarity_samples.solution(exercise), exercise)
            (tmp_path / student / f"{exercise}.py").write_text(stub)
    found = similar.compare_class([(s, s, tmp_path / s) for s in "ab"], list(similarity_samples.EXERCISES))
    assert found.pairs == []


def test_a_pair_page_marks_the_shared_code_side_by_side(tmp_path: Path,
                                                        samples_compared: similarity.Similarity) -> None:
    out = tmp_path / "out"
    _write(out, "kim", _case("ex01_a", "one", P))
    similarity.dump(out, samples_compared)
    html.write(out)
    report = (out / "report.html").read_text()
    assert "never a verdict" in report and 'href="similarity/kim--kim_copy.html"' in report
    pair = (out / "similarity" / "kim--kim_copy.html").read_text()
    assert "KIM" in pair and "KIM_COPY" in pair and "ex12_losses" in pair
    assert pair.count('<mark class="shared">') >= 6 and "never a verdict" in pair
    assert "default-src 'none'" in pair and "<script" not in pair


def test_segments_cut_the_code_along_the_spans() -> None:
    assert similarity.segments("abcdef", [(1, 3), (2, 4)]) == [("a", False), ("bcd", True), ("ef", False)]
    assert similarity.segments("ab", []) == [("ab", False)]


def test_code_is_read_from_zips_and_notebooks(tmp_path: Path) -> None:
    import zipfile

    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x"),
                                               nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")])
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as archive:
        archive.writestr("s/ex01_a.ipynb", nbformat.writes(notebook))
        archive.writestr("s/ex01_a.py", "ignored = True")
        archive.writestr("s/ex02_b.py", "z = 3")
    assert similarity.read_submission(tmp_path / "s.zip", ["ex01_a", "ex02_b", "ex03_c"]) == {
        "ex01_a": ("ex01_a.ipynb", "x = 1\n\ny = 2"), "ex02_b": ("ex02_b.py", "z = 3")}
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    assert similarity.read_submission(tmp_path / "bad.zip", ["ex01_a"]) == {}


def test_batch_of_a_bad_zip_reports_it_and_can_skip_the_similarity(tmp_path: Path) -> None:
    from grader.frontends import cli

    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "kim.zip").write_bytes(b"not a zip at all")
    out = tmp_path / "out"
    assert cli.main(["batch", str(tmp_path / "class"), "--out", str(out), "--no-similarity",
                     "--exercises", "ex01_tensors"]) == cli.EXIT_OK
    page = (out / "report.html").read_text()
    assert 'data-kind="not graded"' in page and "Not computed" in page and not (out / "similarity.json").exists()
    assert cli.main(["batch", str(tmp_path / "class"), "--out", str(out), "--exercises", "ex01_tensors"]) == cli.EXIT_OK
    assert similarity.read(out) == similarity.Similarity(similarity.THRESHOLD, 0, [])
    assert "No pair of submissions" in (out / "report.html").read_text()
    assert cli.main(["batch", str(tmp_path / "class"), "--out", str(out), "--no-similarity"]) == cli.EXIT_OK
    assert similarity.read(out) is None and "Not computed" in (out / "report.html").read_text()


@pytest.mark.slow
def test_batch_with_hidden_checks_shows_their_outcome_never_their_data(tmp_path: Path) -> None:
    import shutil

    from grader.frontends import batch, cli

    kit = Path(__file__).resolve().parents[1]
    (tmp_path / "class" / "kim").mkdir(parents=True)
    source = (kit / "solutions" / "ex01_tensors.py").read_text()
    wrong = "\n\ndef flatten_images_(images):\n    return images.view(images.shape[0], -1)\n"
    (tmp_path / "class" / "kim" / "ex01_tensors.py").write_text(source + wrong)
    shutil.copytree(tmp_path / "class" / "kim", tmp_path / "class" / "lee")
    out = tmp_path / "out"
    arguments = ["batch", str(tmp_path / "class"), "--out", str(out), "--exercises", "ex01_tensors",
                 "--hidden", str(kit / "tests" / "hidden_checks")]
    assert cli.main(arguments) == cli.EXIT_OK
    secret = "(9, 2, 7, 3)"  # the hidden check's input, in its message
    assert secret in (out / "report.html").read_text()
    kim, lee = batch.submission_id("kim"), batch.submission_id("lee")
    page = (out / "students" / kim / "feedback.html").read_text()
    assert "flatten_images_large_batch" in page and "hidden check" in page and secret not in page
    assert cli.main([*arguments, "--withhold-hidden"]) == cli.EXIT_OK
    assert "flatten_images_large_batch" not in (out / "students" / kim / "feedback.html").read_text()
    assert f"{kim}--{lee}.html" in (out / "report.html").read_text()  # the same code twice
