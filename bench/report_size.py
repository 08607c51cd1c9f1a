"""The class report's size and the time to write it, for a class of 6 (the issue's) and one of 300.

    python bench/report_size.py [--students 300]

The classes are results files written without grading (tests/class_samples.py). Prints, per class,
the seconds `html.write` took (report and every feedback page) and the report's width and height
in Debian's chromium at a 1280 px window, with the students table folded (its default above 40
students) and unfolded.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(KIT), str(KIT / "tests")]

import class_samples  # noqa: E402

from grader.reporters import html  # noqa: E402


def measure(out: Path, browser) -> str:
    start = time.perf_counter()
    html.write(out)
    seconds = time.perf_counter() - start
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((out / "report.html").as_uri())
    size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    unfolded = page.evaluate("document.documentElement.scrollHeight")
    page.close()
    return f"written in {seconds:.1f} s; {size[0]} x {size[1]} px as opened, {unfolded} px tall unfolded"


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        six = class_samples.write_six(Path(scratch) / "six")
        print(f"class of 6 x 13: {measure(six, browser)}")
        many = class_samples.write_class(Path(scratch) / "many", args.students)
        print(f"class of {args.students} x 13: {measure(many, browser)}")
        browser.close()


if __name__ == "__main__":
    main()
