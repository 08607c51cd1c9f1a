"""``pytest exercises``: every public check as a pytest item, with learner messages.

``exercises/conftest.py`` imports the hooks below. Each ``exNN_*.py`` file in
that folder (or ``exNN_*.ipynb`` notebook, for ``pytest notebooks``) is
collected as an :class:`ExerciseFile` whose items are the
exercise's check cases. Results are kept in ``config.stash`` and summed in a
closing table of points.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from _pytest._code.code import ReprFileLocation, TerminalRepr
from _pytest._io import TerminalWriter

from grader.checks import registry
from grader.engine.api import Case, Check, Exercise
from grader.engine.i18n import _, language
from grader.sandbox.loading import SubmissionLoader, source_file
from grader.engine.model import CheckResult, GradeResult, Outcome, Tag, repeat_of
from grader.reporters import hints, terminal
from grader.sandbox.runner import case_points, cuda_available, run_case, timeout_message


class _State:
    """One pytest run: a loader per folder of exercise files (``notebooks`` and ``notebooks/zh`` are two)."""

    def __init__(self) -> None:
        self.exercises: dict[str, Exercise] = registry.public_exercises()
        self.loaders: dict[Path, SubmissionLoader] = {}
        self.cuda = cuda_available()
        self.results: dict[str, CheckResult] = {}
        self.folders: dict[str, Path] = {}  # node id -> the folder of its file

    def loader(self, directory: Path) -> SubmissionLoader:
        if directory not in self.loaders:
            self.loaders[directory] = SubmissionLoader(directory, registry.stand_ins(self.exercises))
        return self.loaders[directory]


STATE = pytest.StashKey[_State]()


class CheckFailure(Exception):
    """Carries a non-passing result out of ``runtest``."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.message)
        self.result = result


class ExerciseFile(pytest.File):
    def collect(self):  # type: ignore[override]
        exercise = _state(self.config).exercises[self.path.stem]
        for check in exercise.checks:
            for case in check.cases():
                name = f"{check.name}[{case.device}]" if check.per_device else check.name
                item = CheckItem.from_parent(self, name=name, check=check, case=case)
                item.add_marker(pytest.mark.exercise(exercise.name))
                item.add_marker(pytest.mark.timeout(check.timeout))
                yield item


class CheckItem(pytest.Item):
    def __init__(self, *, check: Check, case: Case, **kwargs) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.case = case

    def runtest(self) -> None:
        state = _state(self.config)
        loader = state.loader(self.path.parent)
        result = repeat_of(run_case(self.check, self.case, loader, state.cuda), state.results.values())
        state.results[self.nodeid] = result
        state.folders[self.nodeid] = self.path.parent
        if result.outcome is Outcome.SKIPPED:
            pytest.skip(result.message)
        if result.outcome is not Outcome.PASSED:
            raise CheckFailure(result)

    def repr_failure(self, excinfo, style=None):  # type: ignore[override]
        if isinstance(excinfo.value, CheckFailure):
            return _FailureRepr(excinfo.value.result.message, str(self.path))
        if _is_timeout(excinfo):
            return timeout_message(self.check.timeout)
        return super().repr_failure(excinfo)

    def reportinfo(self):  # type: ignore[override]
        return self.path, None, f"{self.check.exercise}: {self.check.doc}"


class _FailureRepr(TerminalRepr):
    """A learner message in the failures section, and its first line alone in the short summary.

    A plain string would be printed whole in the summary wherever pytest thinks it runs on CI
    (``$CI`` set): the same cause twice on one screen.
    """

    def __init__(self, message: str, path: str) -> None:
        self.message = message
        self.reprcrash = ReprFileLocation(path, 0, message.split("\n", 1)[0])

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in self.message.splitlines():
            tw.line(line)


def _is_timeout(excinfo: pytest.ExceptionInfo) -> bool:
    return "Timeout" in str(excinfo.value) and "pytest-timeout" in str(excinfo.value)


def _state(config: pytest.Config) -> _State:
    return config.stash[STATE]


# ---- hooks -------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "exercise(name): the exercise a grader check belongs to")
    config.option.verbose = max(config.option.verbose, 1)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if not (file_path.suffix in (".py", ".ipynb") and file_path.name[:2] == "ex"):
        return None
    if source_file(file_path.parent, file_path.stem) != file_path:  # a notebook beside it is the one graded
        return None
    if STATE not in parent.config.stash:
        parent.config.stash[STATE] = _State()
    if file_path.stem not in _state(parent.config).exercises:
        return None
    return ExerciseFile.from_parent(parent, path=file_path)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if isinstance(item, CheckItem) and call.when == "call" and call.excinfo is not None:
        state = _state(item.config)
        if item.nodeid not in state.results and _is_timeout(call.excinfo):
            state.results[item.nodeid] = _timeout_result(item)
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if STATE not in config.stash or report.when != "call":
        return None
    result = _state(config).results.get(report.nodeid)
    if result is None:
        return None
    plain = result.outcome in (Outcome.PASSED, Outcome.SKIPPED, Outcome.FAILED)
    if plain and language() == "en":
        return None  # pytest's own words
    word = result.outcome.label.upper()
    if result.outcome is Outcome.NOT_STARTED:
        return _("not started"), "N", (word, {"yellow": True})
    # pytest counts and lists reports by these names: an exception, a timeout or a crash is an "error", apart
    category = result.outcome.value if plain else "error"
    letter = {Outcome.PASSED: ".", Outcome.SKIPPED: "s"}.get(result.outcome, result.outcome.value[0].upper())
    colour = {Outcome.PASSED: "green", Outcome.SKIPPED: "yellow"}.get(result.outcome, "red")
    return category, letter, (word, {colour: True})


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if STATE not in config.stash:
        return
    state = _state(config)
    results = tuple(state.results.values())
    if results:
        result = GradeResult(submission="exercises", results=results)
        terminalreporter.write_sep("=", _("points"))
        terminalreporter.write_line(terminal.points_table(result))
        for folder in set(state.folders.values()):
            mine = tuple(r for node, r in state.results.items() if state.folders.get(node) == folder)
            hints.save_last_run(GradeResult(str(folder), mine), folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    # After this hook pytest runs five full garbage collections (to report unraisable exceptions),
    # and each would walk every object torch made: about a second of waiting for nothing.
    # Frozen objects are left out of those passes; the process ends right after them.
    if STATE in config.stash:
        gc.freeze()


def _timeout_result(item: CheckItem) -> CheckResult:
    state = _state(item.config)
    points = case_points(item.check, state.cuda)
    return CheckResult(
        item.check.exercise, item.check.name, item.case.device if item.check.per_device else None,
        Outcome.TIMEOUT, 0.0, points, timeout_message(item.check.timeout), tag=Tag.TIMEOUT,
    )
