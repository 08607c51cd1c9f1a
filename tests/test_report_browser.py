"""The class report and feedback pages of a mixed class, opened in headless Chromium (Debian's ``chromium``).

``python tests/test_report_browser.py docs/report.png`` grades the same class and saves a screenshot of
its report (the one in the README).
"""

from __future__ import annotations

import csv
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.frontends import batch

KIT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXERCISES = "ex01_tensors,ex02_autograd,ex03_sgd"
WIDTH = 1280  # an instructor's laptop window
HEIGHT_OF_SIX = 4000  # the report of a class of six over all thirteen exercises fits in this many pixels
HOSTILE = '''

import torch as _torch

def scale_(tensor, factor):
    print("<script>window.injected = 1</script></table></td><b>bold</b>")
    raise ValueError("<img src=x onerror=window.injected=2></table><script>window.injected=3</script>")

def flatten_images_(images):
    print("</pre></table><h1>injected</h1>")
    return images.view(images.shape[0], -1)
'''

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def make_class(root: Path) -> Path:
    """ana: the solutions; ben: the stubs; cho: half done; dan: prints and raises HTML."""
    names = EXERCISES.split(",")
    for student in ("ana", "ben", "cho", "dan"):
        (root / student).mkdir(parents=True)
    for name in names:
        shutil.copy(KIT / "solutions" / f"{name}.py", root / "ana")
        shutil.copy(KIT / "exercises" / f"{name}.py", root / "ben")
        shutil.copy(KIT / "solutions" / f"{name}.py", root / "dan")
    shutil.copy(KIT / "solutions" / "ex01_tensors.py", root / "cho")
    shutil.copy(KIT / "exercises" / "ex02_autograd.py", root / "cho")
    (root / "dan" / "ex01_tensors.py").write_text((root / "dan" / "ex01_tensors.py").read_text() + HOSTILE)
    return root


def grade_class(root: Path) -> Path:
    out = root / "out"
    command = [sys.executable, "-m", "grader", "batch", str(make_class(root / "submissions")), "--out", str(out),
               "--exercises", EXERCISES, "--jobs", "2"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=KIT, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


def screenshot(page_path: Path, png: Path, width: int = WIDTH) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(page_path.as_uri())
        page.screenshot(path=str(png), full_page=True)
        browser.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grade_class(tmp_path_factory.mktemp("class"))


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Opened:
    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": WIDTH, "height": 800}, java_script_enabled=True)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.url = path.as_uri()


def _open(browser, path: Path) -> Opened:
    opened = Opened(browser, path)
    assert opened.errors == []
    assert opened.requests == [opened.url], "the page fetched something"
    return opened


def _not_blank(png: bytes) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    low, high = image.getextrema()
    assert high - low > 100 and len(image.getcolors(maxcolors=256 * 256) or range(999)) > 20


def _csv(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((out / "gradebook.csv").read_text().splitlines()))


def test_report_renders_offline_with_its_figures(browser, graded: Path) -> None:
    opened = _open(browser, graded / "report.html")
    page = opened.page
    figures = page.eval_on_selector_all("figure svg", "els => els.map(e => e.getBoundingClientRect().width)")
    assert len(figures) == 1 and min(figures) > 200
    assert _width(page) <= WIDTH
    _not_blank(page.screenshot(full_page=True))
    page.close()


def test_report_numbers_equal_the_gradebook(browser, graded: Path) -> None:
    page = _open(browser, graded / "report.html").page
    rows = _csv(graded)
    header = list(rows[0])
    shown = page.eval_on_selector_all(
        "#students-table tbody tr", "trs => trs.map(tr => [...tr.cells].map(td => td.dataset.value))")
    assert shown == [[row[column] for column in header] for row in rows]
    texts = page.eval_on_selector_all(
        "#students-table tbody tr", "trs => trs.map(tr => [...tr.cells].map(td => td.textContent.trim()))")
    assert [row[1:-1] for row in texts] == [[row[c] or "–" for c in header[1:-1]] for row in rows]
    totals = sorted(float(r["total"]) for r in rows if r["total"])
    q1, median, q3 = statistics.quantiles(totals, n=4, method="inclusive")

    def key(name: str) -> str:
        return page.text_content(f'#summary [data-key="{name}"]').strip()

    assert key("submissions") == str(len(rows)) and key("graded") == str(len(totals))
    assert float(key("median")) == pytest.approx(median, abs=0.01)
    assert (float(key("q1")), float(key("q3"))) == pytest.approx((q1, q3), abs=0.01)
    assert key("full_marks") == str(sum(1 for r in rows if r["total"] == r["max_score"]))
    assert [r["name"] for r in rows] == ["ana", "ben", "cho", "dan"]
    assert [r["student"] for r in rows] == [batch.submission_id(r["name"]) for r in rows]
    links = page.eval_on_selector_all("#students-table a", "as => as.map(a => a.getAttribute('href'))")
    assert links == [f"students/{r['student']}/feedback.html" for r in rows]
    page.close()


def test_feedback_pages_show_points_and_messages(browser, graded: Path) -> None:
    rows = {r["student"]: r for r in _csv(graded)}
    for student in rows:
        opened = _open(browser, graded / "students" / student / "feedback.html")
        page = opened.page
        total = page.text_content("#total").split("/")[0].strip()
        assert total == rows[student]["total"]
        points = page.eval_on_selector_all(
            "#exercises tbody tr", "trs => trs.map(tr => [tr.dataset.exercise, tr.cells[2].textContent.trim()])")
        assert points == [[e, rows[student][e]] for e in EXERCISES.split(",")]
        files = page.eval_on_selector_all("#exercises tbody tr", "trs => trs.map(tr => tr.cells[1].textContent.trim())")
        name = rows[student]["name"]
        assert files == [f"{e}.py" if name != "cho" or e != "ex03_sgd" else "no file" for e in EXERCISES.split(",")]
        assert _width(page) <= WIDTH and _outside_links(page) == []
        _not_blank(page.screenshot(full_page=True))
        page.close()
    text = (graded / "students" / batch.submission_id("ben") / "feedback.html").read_text()
    assert "not started" in text


def test_what_a_submission_prints_or_raises_is_only_text(browser, graded: Path) -> None:
    opened = _open(browser, graded / "students" / batch.submission_id("dan") / "feedback.html")
    page = opened.page
    assert page.evaluate("window.injected") is None
    assert page.eval_on_selector_all("script, img, h1 ~ h1, b", "els => els.length") == 0
    tables = page.eval_on_selector_all("table", "els => els.length")
    assert tables == 1 + len(EXERCISES.split(","))  # the points table and one per exercise: none closed early
    body = page.text_content("body")
    assert "<script>window.injected = 1</script>" in body and "<img src=x onerror=" in body
    assert "</pre></table><h1>injected</h1>" in body
    page.close()
    report = _open(browser, graded / "report.html").page
    assert report.evaluate("window.injected") is None
    assert report.eval_on_selector_all("script, img", "els => els.length") == 0
    report.close()


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def _outside_links(page) -> list[str]:
    """Links that leave the page (a student's feedback page is all they receive)."""
    hrefs = page.eval_on_selector_all("[href], [src], [action]",
                                      "els => els.map(e => e.getAttribute('href') || e.getAttribute('src') || '')")
    return [h for h in hrefs if not h.startswith("#")]


def test_the_real_class_similarity_points_at_the_copies_of_the_solutions(browser, graded: Path) -> None:
    page = _open(browser, graded / "report.html").page
    pairs = page.eval_on_selector_all("#similar-pairs tbody tr", "trs => trs.map(tr => tr.dataset.pair)")
    ana, cho, dan = (batch.submission_id(name) for name in ("ana", "cho", "dan"))
    assert sorted(pairs) == [f"{ana}|{cho}", f"{ana}|{dan}", f"{cho}|{dan}"]  # the reference code; ben's stubs are not shared
    page.click(f'#similar-pairs tr[data-pair="{ana}|{dan}"] a')
    assert page.url.endswith(f"similarity/{ana}--{dan}.html")
    assert page.eval_on_selector_all("mark.shared", "els => els.length") > 3 and _width(page) <= WIDTH
    assert page.evaluate("window.injected") is None  # dan's code is shown as text
    assert page.eval_on_selector_all("script, img, h1 ~ h1", "els => els.length") == 0
    assert "<script>window.injected = 1</script>" in page.text_content("body")
    page.close()


# --- classes written as results files (no grading): the layout at 1280 px -----------------------------

sys.path.insert(0, str(Path(__file__).parent))
import class_samples  # noqa: E402


@pytest.fixture(scope="module")
def six(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from grader.reporters import html

    out = class_samples.write_six(tmp_path_factory.mktemp("six") / "out")
    html.write(out)
    return out


def test_the_class_of_six_fits_the_window(browser, six: Path) -> None:
    page = _open(browser, six / "report.html").page
    assert _width(page) <= WIDTH
    assert _height(page) <= HEIGHT_OF_SIX
    sections = page.eval_on_selector_all("h2", "hs => hs.map(h => h.id)")
    assert sections[0] == "attention"
    page.close()


def test_the_tiles_match_the_tables(browser, six: Path) -> None:
    page = _open(browser, six / "report.html").page

    def tile(key: str) -> int:
        return int(page.text_content(f'#summary [data-key="{key}"]'))

    def count(selector: str) -> int:
        return page.eval_on_selector_all(selector, "els => els.length")

    assert tile("submissions") == count("#students-table tbody tr") == 6
    assert tile("attention") == count("#attention-list tbody tr") == 4
    assert tile("not_graded") == count('#attention-list [data-kind="not graded"]') == 1
    assert tile("graded") == count('#students-table td[data-column="total"]:not([data-value=""])') == 5
    full = page.eval_on_selector_all("#students-table tbody tr", """trs => trs.filter(tr =>
        tr.querySelector('[data-column="total"]').dataset.value !== '' &&
        tr.querySelector('[data-column="total"]').dataset.value === tr.querySelector('[data-column="max_score"]').dataset.value)
        .map(tr => tr.dataset.student)""")
    assert tile("full_marks") == len(full) == 1
    attention = page.eval_on_selector_all("#attention-list tbody tr", "trs => trs.map(tr => tr.dataset.student)")
    assert not set(full) & set(attention)
    page.close()


def test_zero_and_not_graded_look_different(browser, six: Path) -> None:
    page = _open(browser, six / "report.html").page

    def look(selector: str) -> list[str]:
        return page.eval_on_selector(selector, """el => {const s = getComputedStyle(el.querySelector('.swatch'));
            return [s.backgroundColor, s.backgroundImage]}""")

    zero = look('tr[data-student="eve"] td[data-column="ex03_sgd"]')
    not_started = look('tr[data-student="ben"] td[data-column="ex03_sgd"]')
    not_graded = look('tr[data-student="fay"] td[data-column="ex03_sgd"]')
    assert len({tuple(zero), tuple(not_started), tuple(not_graded)}) == 3
    assert page.text_content('tr[data-student="fay"] td[data-column="ex03_sgd"]').strip() == "–"
    page.close()


def test_the_attention_links_reach_the_students_rows(browser, six: Path) -> None:
    page = _open(browser, six / "report.html").page
    page.click('#attention-list tr[data-student="dan"] a')
    assert page.url.endswith("#student-dan")
    top = page.evaluate("document.querySelector('#student-dan').getBoundingClientRect().top")
    assert page.evaluate("window.scrollY") > 0 and -1 < top < 800  # scrolled to the row, which is in view
    page.close()


def test_feedback_pages_of_the_six_fit_and_stay_on_the_page(browser, six: Path) -> None:
    for student in ("ana", "ben", "dan", "fay"):
        page = _open(browser, six / student / "feedback.html").page
        assert _width(page) <= WIDTH and _outside_links(page) == []
        page.close()
    page = _open(browser, six / "dan" / "feedback.html").page
    skipped = page.eval_on_selector_all("[data-skipped]", "els => els.map(e => e.dataset.skipped)")
    assert skipped == [str(sum(cuda for e in class_samples.EXERCISES for _, _, cuda in class_samples.checks(e)))]
    page.close()


def test_a_class_of_300_keeps_the_triage_on_top_and_fits_the_width(browser, tmp_path: Path) -> None:
    from grader.reporters import html

    out = class_samples.write_class(tmp_path / "out", 300)
    html.write(out)
    page = _open(browser, out / "report.html").page
    assert _width(page) <= WIDTH
    assert page.eval_on_selector("#students + details", "d => d.open") is False  # folded, one click away
    assert page.eval_on_selector_all("h2", "hs => hs.map(h => h.id)")[0] == "attention"
    page.click("#attention-list tbody tr:first-child a")  # the browser unfolds the table at the student's row
    assert page.eval_on_selector("#students + details", "d => d.open") is True
    row = page.url.rsplit("#", 1)[1]
    assert -1 < page.evaluate(f"document.getElementById('{row}').getBoundingClientRect().top") < 800
    page.close()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else KIT / "docs" / "report.png")
    with tempfile.TemporaryDirectory() as scratch:
        out = grade_class(Path(scratch))
        screenshot(out / "report.html", target)
    print(f"wrote {target}")
