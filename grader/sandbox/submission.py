"""Reading a submission (a folder or a .zip) that nobody has checked, and choosing the file graded per exercise.

Everything here reads untrusted bytes: a zip may be truncated, a bomb, or hold
``../`` paths; a notebook may be nested a million levels deep or carry
hundreds of megabytes of saved outputs. :func:`prepare` therefore does the
reading in a forked child under memory, CPU, file-size and wall-clock
limits, and the grading process only reads the small manifest it sends back.
A failure there is that submission's message, never the grading process's.

What is read: only sources, ``.py`` and ``.ipynb`` files, outside hidden
folders, ``__pycache__`` and the kit's own code (``grader/``, a copy of the
kit is often submitted whole); compiled ``.pyc`` files are never graded. Saved
notebook outputs are removed before any size is checked.

Which file is graded for an exercise (:func:`find_graded_files`), wherever
the files sit in the submission (nested folders, a whole copy of the kit):

1. the candidates are the files named exactly ``exNN_topic.py`` or
   ``exNN_topic.ipynb``;
2. the one with the fewest of the stub's ``raise NotImplementedError("write …")``
   statements left wins, so a file as handed out never beats one the student
   worked on; a file that cannot be parsed ranks after every parsable file
   with work in it, and before the untouched ones;
3. on a tie, the file nearer the top of the submission, then the notebook
   before the ``.py`` file, then the path in alphabetical order.
"""

from __future__ import annotations

import ast
import json
import os
import resource
import select
import signal
import stat
import sys
import time
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

from grader.engine.i18n import _, ngettext
from grader.sandbox import guard
from grader.sandbox.loading import source_note
from grader.sandbox.notebook_source import NotebookError, parse_notebook

SOURCES = (".py", ".ipynb")
# A whole repository may hold the kit itself: its checks are named like the exercises.
SKIPPED_FOLDERS = frozenset({"__pycache__", "grader", "data_fixtures", "site-packages", "node_modules"})
MAX_FILE_BYTES = 20 * 2**20  # one graded file, after its saved outputs are removed
MAX_READ_BYTES = 256 * 2**20  # one file as submitted: larger ones are not even read
MAX_TOTAL_BYTES = 512 * 2**20  # everything read from one submission
MAX_MANIFEST_BYTES = 4 * 2**20
MAX_NOTICES = 20  # notices about one submission; the rest are counted
READ_MEMORY_BYTES = 3 * 2**30  # the reading child's address space beyond what it inherits
READ_CPU_SECONDS = 60
READ_TIMEOUT = 120.0
GRADED = "graded"  # the folder under prepare's target that holds the files graded


class SubmissionError(Exception):
    """The submission cannot be read at all; the message says why and what to do."""


@dataclass(frozen=True)
class GradedFile:
    """The file graded for one exercise.

    ``path``: where it sits in the submission (POSIX, relative to the submission's top);
    ``stub_raises``: the stub's ``raise NotImplementedError("write …")`` statements still in it
    (None: it cannot be parsed); ``size``: bytes after saved notebook outputs were removed;
    ``problem``: why it cannot be graded (too large, unreadable), else "";
    ``others``: the other candidates, in rank order.
    """

    exercise: str
    path: str
    stub_raises: int | None
    size: int
    problem: str = ""
    others: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` found: the folder to grade and what to tell the student about it.

    ``folder`` holds one file per exercise found (the graded one, under its plain name) and the
    student's other ``.py`` files from the folders of those; ``notices`` concern the submission as a
    whole (files ignored, refused, duplicated); ``notes`` per exercise say which file was graded.
    """

    folder: Path
    graded: dict[str, GradedFile]
    notices: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class _Candidate:
    path: PurePosixPath
    data: bytes | None  # the source, saved outputs removed; None when it could not be read
    raw_size: int
    stub_raises: int | None = None
    problem: str = ""


# ---- in the grading process ------------------------------------------------------------------------


def prepare(source: Path, target: Path, exercises: Iterable[str]) -> Prepared:
    """Read ``source`` in a limited child; write the files to grade under ``target / GRADED``.

    Raises :class:`SubmissionError` when the submission cannot be read at all (missing, not a folder
    or a zip, a damaged zip, or reading it ran out of time or memory).
    """
    source, target = Path(source), Path(target)
    names = list(exercises)
    if not source.exists():
        raise SubmissionError(_("{path} does not exist").format(path=source))
    if not source.is_dir() and not _looks_like_zip(source):
        raise SubmissionError(
            _("{path} is neither a folder nor a .zip file: submit the folder of exNN_*.py or .ipynb files, or a zip of it")
            .format(path=source)
        )
    manifest = in_limited_child(lambda: _manifest(source, target, names))
    if "error" in manifest:
        raise SubmissionError(str(manifest["error"]))
    graded = {name: GradedFile(**{**item, "others": tuple(item["others"])}) for name, item in manifest["graded"].items()}
    return Prepared(target / GRADED, graded, tuple(manifest["notices"]), dict(manifest["notes"]))


def _looks_like_zip(path: Path) -> bool:
    """A zip by its name or its first bytes (a truncated zip is still one, if a damaged one)."""
    if path.suffix.lower() == ".zip":
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def in_limited_child(work: Callable[[], dict]) -> dict:
    """Run ``work`` (which reads untrusted bytes) in a forked child under the reading limits.

    Its JSON-able result, or ``{"error": why}``: a deep, huge or damaged file costs that child only.
    """
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_fd)
        _child_main(work, write_fd)
    os.close(write_fd)
    try:
        data, why = _read_all(read_fd, time.monotonic() + READ_TIMEOUT)
    finally:
        os.close(read_fd)
        guard.end(pid)
    if why:
        return {"error": why}
    try:
        return json.loads(data)
    except ValueError:
        return {"error": _reading_failed(_("it sent a manifest the grader could not read"))}


def _child_main(work: Callable[[], dict], fd: int) -> None:  # pragma: no cover - runs in the child
    code = 0
    try:
        os.setpgid(0, 0)
        _limit_myself()
        payload = json.dumps(work()).encode()
    except MemoryError:
        payload = json.dumps({"error": _reading_failed(_("it needed more memory than allowed"))}).encode()
    except RecursionError:
        payload = json.dumps({"error": _reading_failed(_("it is nested too deeply"))}).encode()
    except BaseException as exc:
        payload = json.dumps({"error": _reading_failed(f"{type(exc).__name__}: {exc}")}).encode()
    try:
        view = memoryview(payload[:MAX_MANIFEST_BYTES])
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        code = 1
    os._exit(code)


def _limit_myself() -> None:  # pragma: no cover - runs in the child
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (mapped + READ_MEMORY_BYTES,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (READ_CPU_SECONDS, READ_CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_READ_BYTES, MAX_READ_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit raises instead of killing
    sys.setrecursionlimit(2000)


def _read_all(fd: int, deadline: float) -> tuple[bytes, str]:
    chunks, total = [], 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return b"", _reading_failed(_("it took longer than {seconds} s").format(seconds=f"{READ_TIMEOUT:g}"))
        chunk = os.read(fd, 2**16)
        if not chunk:
            break
        total += len(chunk)
        if total > MAX_MANIFEST_BYTES:
            return b"", _reading_failed(_("it listed too many files"))
        chunks.append(chunk)
    if not chunks:
        return b"", _reading_failed(_("the process reading it died (out of memory or CPU time)"))
    return b"".join(chunks), ""


def _reading_failed(why: str) -> str:
    return _("the grader could not read the submission: {why}. Submit a folder or a zip of your exNN_*.py "
             "and .ipynb files (with the notebooks' outputs cleared if they are very large).").format(why=why)


# ---- in the reading child -------------------------------------------------------------------------


def _manifest(source: Path, target: Path, names: list[str]) -> dict:
    notices: list[str] = []
    try:
        candidates = _read_sources(source, set(names), notices)
    except SubmissionError as exc:
        return {"error": str(exc)}
    graded = _choose(candidates, names)
    folder = target / GRADED
    folder.mkdir(parents=True, exist_ok=True)
    _write_graded(folder, candidates, graded, notices)
    notes = {name: note for name, file in graded.items() if (note := _note(file, folder))}
    return {"graded": {name: asdict(file) for name, file in graded.items()}, "notices": _capped(notices),
            "notes": notes}


def _capped(notices: list[str], keep: int = MAX_NOTICES) -> list[str]:
    if len(notices) <= keep:
        return notices
    more = len(notices) - keep
    return [*notices[:keep], ngettext("... and {count} more", "... and {count} more", more).format(count=more)]


def _read_sources(source: Path, names: set[str], notices: list[str]) -> dict[PurePosixPath, _Candidate]:
    entries = _zip_entries(source, notices) if not source.is_dir() else _folder_entries(source, notices)
    found: dict[PurePosixPath, _Candidate] = {}
    total = 0
    for path, size, read in entries:
        if path.stem in names or path.suffix == ".py":
            if size > MAX_READ_BYTES or total + size > MAX_TOTAL_BYTES:
                found[path] = _Candidate(path, None, size, problem=_too_large(path, size, MAX_READ_BYTES))
                continue
            try:
                raw = read()
            except (OSError, zipfile.BadZipFile, RuntimeError, EOFError, ValueError) as exc:
                found[path] = _Candidate(path, None, size, problem=_unreadable(path, exc))
                continue
            total += len(raw)
            found[path] = _candidate(path, raw, ranked=path.stem in names)
    return found


def _folder_entries(root: Path, notices: list[str]) -> Iterator[tuple[PurePosixPath, int, Callable[[], bytes]]]:
    def fail(error: OSError) -> None:
        notices.append(_("could not read {path}: {error}").format(path=error.filename, error=error.strerror))

    if not os.access(root, os.R_OK | os.X_OK):
        raise SubmissionError(_("cannot read the folder {path}: permission denied").format(path=root))
    for folder, dirs, files in os.walk(root, onerror=fail):
        dirs[:] = sorted(d for d in dirs if _kept(d))
        for name in sorted(files):
            path = Path(folder) / name
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if not _is_source(relative, notices):
                continue
            try:
                info = path.lstat()
            except OSError as exc:
                notices.append(_unreadable(relative, exc))
                continue
            if stat.S_ISREG(info.st_mode):
                yield relative, info.st_size, _file_reader(path)
            else:
                notices.append(_("ignored {path}: not a regular file (a link or a device)").format(path=relative))


def _file_reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        with open(path, "rb") as f:
            return f.read(MAX_READ_BYTES + 1)

    return read


def _zip_entries(archive: Path, notices: list[str]) -> Iterator[tuple[PurePosixPath, int, Callable[[], bytes]]]:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise SubmissionError(
            _("{name} cannot be read as a zip file ({error}): it is truncated or damaged. Make the zip again "
              "(or upload the folder) and submit it again.").format(name=archive.name, error=exc)
        ) from None
    with zf:
        infos = [info for info in zf.infolist() if not info.is_dir()]
        last = {info.filename: info for info in infos}  # a name stored twice: the last copy, as unzip keeps
        counts = Counter(info.filename for info in infos)
        seen: set[str] = set()
        for info in infos:
            if info.filename in seen:
                continue
            seen.add(info.filename)
            count = counts[info.filename]
            if count > 1:
                notices.append(_("the zip holds {name} {count} times; the last copy was read")
                               .format(name=info.filename, count=count))
            path = _safe_member(info.filename, notices)
            if path is None or not _kept_path(path) or not _is_source(path, notices):
                continue
            yield path, last[info.filename].file_size, _member_reader(zf, last[info.filename])


def _safe_member(name: str, notices: list[str]) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        notices.append(_("refused {name}: a path outside the submission").format(name=name))
        return None
    return path


def _member_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        with zf.open(info) as member:
            return member.read(MAX_READ_BYTES + 1)  # never more, whatever the header claims

    return read


def _kept(name: str) -> bool:
    """Folders read: not hidden, not compiled files, not the kit's own code or installed packages."""
    return not name.startswith(".") and name not in SKIPPED_FOLDERS


def _kept_path(path: PurePosixPath) -> bool:
    return all(_kept(part) for part in path.parts)


def _is_source(path: PurePosixPath, notices: list[str]) -> bool:
    """Sources only; compiled files are said to be ignored (they are never run)."""
    if path.suffix in (".pyc", ".pyo"):
        notice = _("ignored compiled files (.pyc): only .py and .ipynb sources are graded")
        if notice not in notices:
            notices.append(notice)
        return False
    return path.suffix in SOURCES


def _candidate(path: PurePosixPath, raw: bytes, ranked: bool) -> _Candidate:
    """A file read; ``ranked``: an exercise's file, whose stub raises are counted (a helper's are not)."""
    if len(raw) > MAX_READ_BYTES:
        return _Candidate(path, None, len(raw), problem=_too_large(path, len(raw), MAX_READ_BYTES))
    data = strip_outputs(raw) if path.suffix == ".ipynb" else raw
    candidate = _Candidate(path, data, len(raw), stub_raises=_stub_raises(path, data) if ranked else None)
    if len(data) > MAX_FILE_BYTES:
        candidate.problem = _too_large(path, len(data), MAX_FILE_BYTES, stripped=path.suffix == ".ipynb")
    return candidate


def strip_outputs(raw: bytes) -> bytes:
    """A notebook with its saved outputs, execution counts and attachments removed; unchanged if not JSON.

    Only what grading reads is kept (``nbformat``, each cell's type and source), so deep metadata never
    reaches the grader either.
    """
    try:
        notebook = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return raw
    cells = [
        {"cell_type": cell.get("cell_type"), "metadata": {}, "source": cell.get("source", ""),
         **({"outputs": [], "execution_count": None} if cell.get("cell_type") == "code" else {})}
        if isinstance(cell, dict) else cell
        for cell in notebook["cells"]
    ]
    kept = {"nbformat": notebook.get("nbformat"), "nbformat_minor": notebook.get("nbformat_minor"),
            "metadata": {}, "cells": cells}
    return json.dumps(kept, ensure_ascii=False, indent=1).encode()


def _stub_raises(path: PurePosixPath, data: bytes) -> int | None:
    """How many ``raise NotImplementedError("write …")`` statements of the stub are left; None if unparsable."""
    try:
        text = data.decode("utf-8")
        if path.suffix == ".ipynb":
            sources = [cell.source for cell in parse_notebook(text, Path(path.name)).cells]
        else:
            sources = [text]
        return sum(_count_raises(ast.parse(source)) for source in sources)
    except (UnicodeDecodeError, SyntaxError, ValueError, NotebookError, RecursionError, MemoryError):
        return None


def _count_raises(tree: ast.AST) -> int:
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.Raise) and _is_stub_raise(node.exc))


def _is_stub_raise(exc: ast.expr | None) -> bool:
    return (
        isinstance(exc, ast.Call)
        and isinstance(exc.func, ast.Name)
        and exc.func.id == "NotImplementedError"
        and len(exc.args) == 1
        and isinstance(exc.args[0], ast.Constant)
        and isinstance(exc.args[0].value, str)
        and exc.args[0].value.startswith("write ")
    )


def _too_large(path: PurePosixPath, size: int, limit: int, stripped: bool = False) -> str:
    if stripped:
        message = _("{path} is {size} even without its saved outputs, over the grader's limit of {limit} per file: "
                    "it was not graded. Move large data out of the code cells and submit it again.")
    else:
        message = _("{path} is {size}, over the grader's limit of {limit} per file: it was not graded. "
                    "Submit the source file alone, without data.")
    return message.format(path=path, size=_mib(size), limit=_mib(limit))


def _unreadable(path: PurePosixPath, exc: BaseException) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return _("could not read {path}: {error}").format(path=path, error=reason)


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


# ---- the rule --------------------------------------------------------------------------------------


def find_graded_files(root: Path, exercises: Iterable[str]) -> dict[str, GradedFile]:
    """The file graded for each exercise found under the folder ``root``, by the rule in this module's docstring.

    Reads the files in this process: call it on a trusted folder only; for a submission nobody has
    checked, :func:`prepare` applies the same rule in a limited child. Exercises with no candidate are
    left out.
    """
    names = list(exercises)
    return _choose(_read_sources(Path(root), set(names), []), names)


def _choose(candidates: dict[PurePosixPath, _Candidate], names: list[str]) -> dict[str, GradedFile]:
    graded = {}
    for name in names:
        mine = [c for c in candidates.values() if c.path.stem == name and c.path.suffix in SOURCES]
        if mine:
            ranked = _ranked(mine)
            best = ranked[0]
            graded[name] = GradedFile(
                exercise=name, path=best.path.as_posix(), stub_raises=best.stub_raises,
                size=len(best.data) if best.data is not None else best.raw_size, problem=best.problem,
                others=tuple(c.path.as_posix() for c in ranked[1:]),
            )
    return graded


def _ranked(candidates: list[_Candidate]) -> list[_Candidate]:
    readable = [c for c in candidates if c.data is not None]
    most = max((c.stub_raises or 0 for c in readable), default=0)

    def key(c: _Candidate) -> tuple:
        if c.data is None:
            left = float("inf")  # could not be read: graded only when nothing else is there
        elif c.stub_raises is None:
            left = most - 0.5 if most > 0 else 0.5
        else:
            left = float(c.stub_raises)
        return left, len(c.path.parts), c.path.suffix != ".ipynb", c.path.as_posix()

    return sorted(candidates, key=key)


def graded_note(file: GradedFile) -> str:
    """What the results say about the file graded for one exercise, when there was a choice or a problem."""
    lines = []
    if file.others:
        lines.append(_("{exercise}: graded {path}; not graded: {others} (the file with the fewest "
                       "raise NotImplementedError lines of the stub left is graded)")
                     .format(exercise=file.exercise, path=file.path, others=", ".join(file.others)))
    if file.problem:
        lines.append(file.problem)
    return "\n".join(lines)


def _note(file: GradedFile, folder: Path) -> str:
    return "\n".join(part for part in (graded_note(file), source_note(folder, file.exercise)) if part)


def _write_graded(folder: Path, candidates: dict[PurePosixPath, _Candidate], graded: dict[str, GradedFile],
                  notices: list[str]) -> None:
    """The graded files under their plain names, and the student's other ``.py`` files beside them."""
    chosen = {PurePosixPath(file.path) for file in graded.values()}
    for file in graded.values():
        candidate = candidates[PurePosixPath(file.path)]
        if not file.problem and candidate.data is not None:
            (folder / f"{file.exercise}{candidate.path.suffix}").write_bytes(candidate.data)
    homes = {path.parent for path in chosen}
    exercise_names = {file.exercise for file in graded.values()}
    for path, candidate in candidates.items():
        helper = path.suffix == ".py" and path.parent in homes and path.stem not in exercise_names
        if helper and candidate.data is not None and not candidate.problem and not (folder / path.name).exists():
            (folder / path.name).write_bytes(candidate.data)
    for path, candidate in candidates.items():
        if candidate.problem and path not in chosen and path.stem in exercise_names:
            notices.append(candidate.problem)
    skipped = sum(1 for c in candidates.values() if c.problem and c.path.stem not in exercise_names)
    if skipped:
        notices.append(ngettext("{count} other file could not be read", "{count} other files could not be read",
                                skipped).format(count=skipped))
