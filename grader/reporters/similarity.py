"""Which submissions are suspiciously alike: a pointer for the instructor, never a verdict.

Each exercise file is tokenised and fingerprinted with ``copydetect`` (winnowing,
the method of MOSS: names, strings and comments do not count, so renaming and
re-commenting does not hide a copy). The stub's own fingerprints are removed
first, so the code every student received is not counted as shared; so are
fingerprints found in so many submissions that they are the usual way to write
it (:data:`COMMON_AT_LEAST`, :data:`COMMON_SHARE`).

A pair's score is the share of the smaller submission's own fingerprints (over the
exercises both handed in) that the other one has too. Pairs at or above
:data:`THRESHOLD` are listed, with the shared code of each exercise marked for a
side-by-side page. ``bench/similarity_calibration.py`` measured the threshold on
honest and copied samples; ``bench/similarity_cost.py`` its cost for a class of 300.
Scores move by a point or two between runs: copydetect hashes with Python's
per-process hash seed (the winnowing picks other fingerprints).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy

THRESHOLD = 0.4
NOISE = 25  # copydetect's k: fingerprints cover 25 characters of the tokenised code
WINDOW = 4  # winnowing window: any match of NOISE + WINDOW - 1 characters is found
MIN_FINGERPRINTS = 12  # a submission with less own code than this is never flagged (too little to tell)
COMMON_AT_LEAST, COMMON_SHARE = 10, 0.25  # a fingerprint in more submissions than both: the usual code
FILE_LIMIT = 1_000_000  # bytes read from one file
JSON = "similarity.json"
PAGES = "similarity"


@dataclass(frozen=True)
class Source:
    """One submission's code: ``files`` maps an exercise to (file name, code)."""

    id: str
    name: str
    files: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Shared:
    """One exercise of a pair: both files, and the spans of each (start, end) found in the other."""

    exercise: str
    file_a: str
    file_b: str
    code_a: str
    code_b: str
    spans_a: list[tuple[int, int]]
    spans_b: list[tuple[int, int]]


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    name_a: str
    name_b: str
    score: float
    exercises: list[Shared] = field(default_factory=list)

    @property
    def page(self) -> str:
        """The side-by-side page, relative to OUT."""
        return f"{PAGES}/{self.a}--{self.b}.html"


@dataclass(frozen=True)
class Similarity:
    threshold: float
    compared: int  # submissions with code to compare
    pairs: list[Pair]  # most alike first


# --- reading the code handed in --------------------------------------------------------------------


def read_submission(path: Path, exercises: Iterable[str]) -> dict[str, tuple[str, str]]:
    """exercise -> (file name, code) of a submission folder or ``.zip``; a notebook gives its code cells.

    As the grader does, ``<exercise>.ipynb`` is taken where it exists, else ``<exercise>.py``.
    Unreadable files and broken zips give nothing (the grade reports them).
    """
    try:
        files = _zip_files(path) if path.suffix == ".zip" else _folder_files(path)
    except (OSError, zipfile.BadZipFile, ValueError):
        return {}
    found = {}
    for exercise in exercises:
        for name in (f"{exercise}.ipynb", f"{exercise}.py"):
            if name in files:
                code = _code(name, files[name])
                if code is not None:
                    found[exercise] = (name, code)
                break
    return found


def _folder_files(path: Path) -> dict[str, bytes]:
    return {p.name: _head(p.open("rb")) for p in sorted(path.iterdir()) if p.is_file() and p.suffix in (".py", ".ipynb")}


def _zip_files(path: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename.count("/")):  # shallowest first
            name = info.filename.rsplit("/", 1)[-1]
            if not info.is_dir() and name.endswith((".py", ".ipynb")) and name not in files:
                with archive.open(info) as stream:
                    files[name] = _head(stream)
    return files


def _head(stream: io.BufferedIOBase) -> bytes:
    with stream:
        return stream.read(FILE_LIMIT)


def _code(name: str, data: bytes) -> str | None:
    text = data.decode("utf-8", errors="replace")
    if not name.endswith(".ipynb"):
        return text
    try:
        cells = json.loads(text).get("cells", [])
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells if c.get("cell_type") == "code"]
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    return "\n\n".join(s for s in sources if isinstance(s, str))


# --- comparing -------------------------------------------------------------------------------------


def compare(sources: list[Source], stubs: dict[str, str], threshold: float = THRESHOLD) -> Similarity:
    """The pairs of ``sources`` at least ``threshold`` alike; ``stubs`` (exercise -> stub code) is left out."""
    from copydetect import CodeFingerprint

    exercises = sorted({e for s in sources for e in s.files})
    prints: dict[str, dict[int, CodeFingerprint]] = {}
    shared = numpy.zeros((len(sources), len(sources)))
    own = numpy.zeros((len(sources), len(exercises)))
    for column, exercise in enumerate(exercises):
        boilerplate = _fingerprint(exercise, stubs.get(exercise, "")).hashes if exercise in stubs else set()
        made: dict[str, CodeFingerprint] = {}  # the same code (an untouched stub) is fingerprinted once
        mine = {i: made.get(s.files[exercise][1]) or made.setdefault(
                    s.files[exercise][1], _fingerprint(exercise, s.files[exercise][1], boilerplate))
                for i, s in enumerate(sources) if exercise in s.files}
        prints[exercise] = mine
        matrix = _membership(mine, len(sources))
        matrix = matrix[:, matrix.sum(axis=0) <= max(COMMON_AT_LEAST, COMMON_SHARE * len(mine))]
        own[:, column] = matrix.sum(axis=1)
        shared += matrix @ matrix.T
    pairs = []
    handed = own > 0
    for i in range(len(sources)):
        for j in range(i + 1, len(sources)):
            both = handed[i] & handed[j]
            smaller = min(own[i, both].sum(), own[j, both].sum())
            if smaller >= MIN_FINGERPRINTS and shared[i, j] / smaller >= threshold:
                pairs.append(_pair(sources[i], sources[j], shared[i, j] / smaller, prints, i, j, stubs))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return Similarity(threshold, sum(1 for s in sources if s.files), pairs)


def _fingerprint(exercise: str, code: str, boilerplate: set[int] | None = None):
    from copydetect import CodeFingerprint

    return CodeFingerprint(f"{exercise}.py", NOISE, WINDOW, boilerplate=numpy.array(sorted(boilerplate or ())),
                           language="python", fp=io.StringIO(code))


def _membership(prints: dict[int, object], students: int) -> numpy.ndarray:
    """Students x fingerprints, 1 where the student's code has it."""
    columns: dict[int, int] = {}
    cells = [(row, columns.setdefault(h, len(columns))) for row, p in prints.items() for h in p.hashes]
    matrix = numpy.zeros((students, len(columns)), dtype=numpy.float32)
    if cells:
        rows, cols = zip(*cells)
        matrix[list(rows), list(cols)] = 1
    return matrix


def _pair(a: Source, b: Source, score: float, prints: dict, i: int, j: int, stubs: dict[str, str]) -> Pair:
    from copydetect import compare_files

    shared = []
    for exercise in sorted(set(a.files) & set(b.files)):
        overlap, _, (slices_a, slices_b) = compare_files(prints[exercise][i], prints[exercise][j])
        stub = {line.strip() for line in stubs.get(exercise, "").splitlines()}
        code_a, code_b = a.files[exercise][1], b.files[exercise][1]
        spans_a, spans_b = _lines(code_a, _spans(slices_a), stub), _lines(code_b, _spans(slices_b), stub)
        if overlap and spans_a and spans_b:
            shared.append(Shared(exercise, a.files[exercise][0], b.files[exercise][0], code_a, code_b, spans_a, spans_b))
    return Pair(a.id, b.id, a.name, b.name, round(float(score), 4), shared)


def _spans(slices: numpy.ndarray) -> list[tuple[int, int]]:
    if slices.size == 0:
        return []
    return [(int(start), int(end)) for start, end in zip(slices[0], slices[1])]


def _lines(code: str, spans: list[tuple[int, int]], stub: set[str]) -> list[tuple[int, int]]:
    """The lines that ``spans`` touch, whole, except blank lines, comments and lines of the stub (the marks' unit)."""
    marked, start = [], 0
    for line in code.splitlines(keepends=True):
        end = start + len(line)
        text = line.strip()
        if text and not text.startswith("#") and text not in stub and any(a < end and start < b for a, b in spans):
            marked.append((start, start + len(line.rstrip("\n"))))
        start = end
    return marked


def segments(code: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``code`` cut into (text, shared) pieces along ``spans``."""
    pieces, at = [], 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(code))
        if start >= end:
            continue
        if start > at:
            pieces.append((code[at:start], False))
        if pieces and pieces[-1][1] and start == at:  # overlapping or touching spans: one mark
            pieces[-1] = (pieces[-1][0] + code[start:end], True)
        else:
            pieces.append((code[start:end], True))
        at = end
    if at < len(code):
        pieces.append((code[at:], False))
    return pieces


# --- stored next to the results ------------------------------------------------------------------


def dump(out: Path, similarity: Similarity) -> Path:
    path = Path(out) / JSON
    path.write_text(json.dumps(asdict(similarity), indent=1) + "\n")
    return path


def read(out: Path) -> Similarity | None:
    """What :func:`dump` wrote to ``OUT/similarity.json``; None where there is none (or it is unreadable)."""
    try:
        data = json.loads((Path(out) / JSON).read_text())
        pairs = [Pair(**{**p, "exercises": [Shared(**{**s, "spans_a": [tuple(x) for x in s["spans_a"]],
                                                         "spans_b": [tuple(x) for x in s["spans_b"]]})
                                             for s in p["exercises"]]}) for p in data["pairs"]]
        return Similarity(float(data["threshold"]), int(data["compared"]), pairs)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_pages(out: Path, similarity: Similarity, render: Callable[[Pair], str]) -> None:
    """One side-by-side page per pair, under ``OUT/similarity/`` (the pages of an earlier run removed)."""
    folder = Path(out) / PAGES
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.html"):
        old.unlink()
    for pair in similarity.pairs:
        (Path(out) / pair.page).write_text(render(pair))


def forget(out: Path) -> None:
    """Remove what an earlier run found (``similarity.json`` and the pair pages): it no longer holds."""
    (Path(out) / JSON).unlink(missing_ok=True)
    for page in (Path(out) / PAGES).glob("*.html"):
        page.unlink()
