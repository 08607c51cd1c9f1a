"""``python -m grader``: a thin command line over the grader's API."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from types import ModuleType

from grader.authoring import stubs
from grader.engine import i18n
from grader.engine.i18n import _
from grader.frontends.entry import EXIT_INTERNAL, EXIT_OK, EXIT_UNDER, EXIT_USAGE, write_atomically

KIT_ROOT = Path(__file__).resolve().parents[2]


def _stubs(args: argparse.Namespace) -> int:
    return _generate(stubs, Path(args.solutions), Path(args.exercises), "stubs", args.check)


def _notebooks(args: argparse.Namespace) -> int:
    from grader.authoring import notebooks

    return _generate(notebooks, Path(args.solutions), Path(args.notebooks), "notebooks", args.check)


def _generate(tool: ModuleType, solutions: Path, target: Path, command: str, check: bool) -> int:
    """``stubs`` and ``notebooks``: write ``target`` from ``solutions``, or with ``check`` report drift."""
    if check:
        drift = tool.drift(solutions, target)
        for d in drift:
            print(f"{d.name}: {d.reason}")
        print(f"{target.name}/ is in sync with solutions/" if not drift else f"run: python -m grader {command}")
        return 1 if drift else 0
    for path in tool.generate(solutions, target):
        print(f"wrote {path}")
    return 0


def _catalogs(args: argparse.Namespace) -> int:
    try:
        from grader.authoring import catalogs
    except ImportError as exc:
        raise SystemExit(_("error: {error}; install the development tools: pip install -e \".[dev]\"").format(error=exc))
    if args.check:
        out_of_date = catalogs.stale()
        for item in out_of_date:
            print(f"{item.path.relative_to(KIT_ROOT)}: {item.reason}")
        print("the catalogs match the source" if not out_of_date else "run: python -m grader catalogs")
        return 1 if out_of_date else 0
    for path in catalogs.write():
        print(f"wrote {path.relative_to(KIT_ROOT)}")
    for lang in catalogs.translated_languages():
        for domain in catalogs.DOMAINS:
            missing = catalogs.untranslated(lang, domain=domain)
            if missing:
                print(f"{catalogs.po_path(lang, domain=domain).relative_to(KIT_ROOT)}: {len(missing)} messages to translate (empty msgstr or fuzzy)")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from grader.frontends import entry
    from grader.sandbox import zygote

    zygote.shared()  # forked first: before the arguments become paths, the hidden checks or the submission are read
    options = dataclasses.replace(_grade_options(args, Path(args.submission)), keep_for_hints=True)
    return entry.grade(options)


def _grade_options(args: argparse.Namespace, submission: Path) -> "entry.GradeOptions":
    """The options of ``grade`` (or those ``batch`` grades every submission with) from the arguments."""
    from grader.frontends import entry

    def path(name: str) -> Path | None:
        value = getattr(args, name, None)
        return Path(value) if value else None

    return entry.GradeOptions(
        submission=submission, hidden=path("hidden"), exercises=args.exercises, memory_gib=args.memory,
        import_timeout=args.import_timeout, parallel=getattr(args, "parallel", None),
        threads=getattr(args, "threads", None), time_budget=getattr(args, "time_budget", None),
        allow_weak_sandbox=args.allow_weak_sandbox, json=path("json"), gradescope=path("gradescope"),
        junit=path("junit"), prairielearn=path("prairielearn"), classroom=path("classroom"), summary=path("summary"),
        quiet=getattr(args, "quiet", False), fail_under=getattr(args, "fail_under", None),
    )


def _batch(args: argparse.Namespace) -> int:
    from grader.frontends import batch, entry
    from grader.sandbox import zygote
    from grader.sandbox.guard import Stop

    zygote.start()  # forked first: before the arguments become paths and the class folder is read
    folder, out = Path(args.submissions), Path(args.out)
    if not folder.is_dir():
        print(_("error: {path} is not a folder of submissions").format(path=folder), file=sys.stderr)
        return EXIT_USAGE
    if entry.refuse_weak_sandbox(args.allow_weak_sandbox):
        return EXIT_USAGE
    base = _grade_options(args, folder)
    if base.hidden is not None and not base.hidden.is_dir():
        raise SystemExit(_("error: --hidden {path}: no such folder").format(path=base.hidden))
    try:
        found = batch.find_submissions(folder, out)
    except OSError as exc:
        print(_("error: cannot read {path}: {error}").format(path=folder, error=exc.strerror or exc), file=sys.stderr)
        return EXIT_USAGE
    for name in found.ignored:
        print(_("ignored {name}: not a folder or a .zip file").format(name=name), file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    stopped = None
    try:
        outcomes = batch.run_batch(found.submissions, out, base, jobs=args.jobs, force=args.force,
                                   progress=batch.progress_bar(sys.stderr)) if found.submissions else []
    except Stop as stop:
        stopped, outcomes = stop, []
    gradebook = batch.write_gradebook(out, found.submissions)
    code = _batch_summary(found, outcomes, gradebook, folder)
    similar = _similarity(found, out, args.exercises, skip=args.no_similarity or not found.submissions)
    try:
        path = batch.write_html(out, [s.id for s in found.submissions], args.withhold_hidden, similar)
    except batch.ReportExtraMissing as exc:
        print(_("no class report: {error}").format(error=exc), file=sys.stderr)
    else:
        print(_("class report: {path} (and a feedback.html per student)").format(path=path))
    if stopped is not None:
        print(_("the batch was stopped by {signal}; the gradebook shows the students graded so far")
              .format(signal=stopped), file=sys.stderr)
        return 128 + stopped.signum
    return code


def _batch_summary(found: "batch.Found", outcomes: list, gradebook: Path, folder: Path) -> int:
    if not found.submissions:
        print(_("error: {path} holds no submissions: put one sub-folder or .zip file per student in it")
              .format(path=folder), file=sys.stderr)
        return EXIT_USAGE
    failed = [o for o in outcomes if o.status == "failed"]
    summary = _("graded {graded} of {total} submissions ({failed} could not be graded); gradebook: {path}")
    print(summary.format(graded=len(outcomes) - len(failed), total=len(found.submissions), failed=len(failed),
                         path=gradebook))
    for o in outcomes:
        if o.detail:
            line = _("could not grade {student}: {detail}") if o.status == "failed" else _("{student}: {detail}")
            print("  " + line.format(student=o.student, detail=o.detail), file=sys.stderr)
    return EXIT_OK


def _similarity(found: "batch.Found", out: Path, exercises: str | None, skip: bool = False):
    """Compare the submissions' code (stubs left out) and keep it in OUT/similarity.json; None when skipped."""
    from grader.checks import registry
    from grader.frontends import batch, similar
    from grader.reporters import similarity

    similarity.forget(out)
    if skip:
        return None
    names = exercises.split(",") if exercises else sorted(registry.public_exercises())
    try:
        compared = similar.compare_class([(s.id, s.name, s.path) for s in found.submissions], names)
    except ImportError as exc:
        print(_("no similarity section: {error}").format(error=f"{batch.REPORT_EXTRA} ({exc})"), file=sys.stderr)
        return None
    similarity.dump(out, compared)
    return compared


def _report(args: argparse.Namespace) -> int:
    from grader.frontends import batch
    from grader.reporters import classreport

    out = Path(args.out)
    if not out.is_dir() or not classreport.has_results(out):
        message = _("error: {path} holds no students/<id>/results.json; grade the class first: "
                    "python -m grader batch DIR --out {path}")
        print(message.format(path=out), file=sys.stderr)
        return EXIT_USAGE
    try:
        path = batch.write_html(out, None, args.withhold_hidden)
    except batch.ReportExtraMissing as exc:
        print(_("error: {error}").format(error=exc), file=sys.stderr)
        return EXIT_USAGE
    print(_("class report: {path} (and a feedback.html per student)").format(path=path))
    return EXIT_OK


def _release(args: argparse.Namespace) -> int:
    from grader.authoring import release

    try:
        out = release.release(Path(args.out))
    except FileExistsError as exc:
        print(_("error: {error}").format(error=exc), file=sys.stderr)
        return EXIT_USAGE
    message = _(
        "student bundle written to {path} (exercises, notebooks, public checks, fixtures; no solutions, no hidden checks)"
    )
    print(message.format(path=out))
    return EXIT_OK


def _gradescope_bundle(args: argparse.Namespace) -> int:
    from grader.authoring import release

    path = release.gradescope_bundle(Path(args.out), _hidden(args), args.time_budget)
    print(_("Gradescope autograder written to {path}: upload it as the assignment's autograder zip").format(path=path))
    return EXIT_OK


PRAIRIELEARN_ROOT = "PRAIRIELEARN_ROOT"


def _prairielearn(args: argparse.Namespace) -> int:
    """PrairieLearn's entrypoint: grade ROOT/student into ROOT/results/results.json, and always exit 0.

    PrairieLearn throws a results file away when the entrypoint exits non-zero; a submission
    that cannot be graded is written as ``gradable: false`` instead.
    """
    from grader.reporters import prairielearn

    root = Path(args.root or os.environ.get(PRAIRIELEARN_ROOT) or "/grade")
    results = root / "results" / "results.json"
    student = root / "student"
    grade_args = build_parser().parse_args(["grade", str(student), "--quiet", "--prairielearn", str(results)])
    for name in ("hidden", "exercises", "time_budget", "memory", "import_timeout"):
        setattr(grade_args, name, getattr(args, name))
    grade_args.exercises = args.exercises or _submitted_exercises(student)
    try:
        if not grade_args.exercises:
            raise _NothingToGrade(_("no exNN_topic.py or exNN_topic.ipynb file was handed in"))
        code = _grade(grade_args)
        if code != EXIT_OK and not results.is_file():
            raise _NothingToGrade(_("grading ended with exit code {code}").format(code=code))
    except (Exception, SystemExit) as exc:  # the grader itself failed: the student keeps the attempt
        error = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, str) else str(exc)
        write_atomically(results, prairielearn.dumps_not_gradable(error or type(exc).__name__))
    print(_("PrairieLearn results written to {path}").format(path=results))
    return EXIT_OK


class _NothingToGrade(Exception):
    pass


def _submitted_exercises(student: Path) -> str:
    """The exercises the student handed a file for, as ``--exercises`` takes them."""
    from grader.checks import registry

    handed_in = {p.stem for pattern in ("ex[0-9][0-9]_*.py", "ex[0-9][0-9]_*.ipynb") for p in student.rglob(pattern)}
    return ",".join(name for name in registry.public_exercises() if name in handed_in)


def _calibrate(args: argparse.Namespace) -> int:
    from grader.authoring import calibrate
    from grader.checks import registry

    exercises = registry.public_exercises()
    if args.exercise not in exercises:
        message = _("error: no exercise {name}; choose from {choices}")
        print(message.format(name=repr(args.exercise), choices=", ".join(exercises)), file=sys.stderr)
        return EXIT_USAGE
    exercise = exercises[args.exercise]
    if not exercise.calibrations:
        print(_("{exercise} has no calibrated threshold").format(exercise=exercise.name))
    for calibration in exercise.calibrations:
        reference, weak = calibrate.measure(exercise, calibration, Path(args.solutions), args.seeds)
        print(calibrate.report(exercise, calibration, reference, weak))
    return EXIT_OK


def _hidden(args: argparse.Namespace) -> Path | None:
    if args.hidden is None:
        return None
    hidden = Path(args.hidden)
    if not hidden.is_dir():
        raise SystemExit(_("error: --hidden {path}: no such folder").format(path=hidden))
    return hidden


def _hint(args: argparse.Namespace) -> int:
    from grader.reporters import hints

    folders = [Path(args.folder)] if args.folder else [Path.cwd(), Path("exercises"), Path("notebooks"),
                                                       Path("notebooks") / "zh"]
    more = f"python -m grader hint {args.exercise} --level {{level}}" if args.exercise else \
        "python -m grader hint --level {level}"
    print(hints.hint_text(hints.last_run(folders), args.exercise, args.level, more))
    return EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    from grader.frontends import watch
    from grader.sandbox import cores

    folder = Path(args.folder) if args.folder else (Path("exercises") if Path("exercises").is_dir() else Path.cwd())
    available = cores.pin_threads()  # the watching process forks a child per save: no thread pool before that
    return watch.watch(folder, args.exercises, threads=available)


def _add_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write results (Exercism v3 format with scores)")
    p.add_argument("--gradescope", metavar="FILE", help="write Gradescope results.json")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    p.add_argument("--hidden", metavar="DIR", help="add instructor-only checks from DIR")
    p.add_argument("--memory", type=float, default=4.0, metavar="GIB", help="memory cap per child process (default 4)")
    p.add_argument("--exercises", metavar="NAMES", help="comma-separated exercises to grade (default: all)")
    p.add_argument("--import-timeout", type=float, default=60.0, metavar="S",
                   help="seconds allowed for importing one exercise file (default 60)")
    p.add_argument("--allow-weak-sandbox", action="store_true",
                   help="grade even where the kernel lacks Landlock or seccomp (the student's code is then less contained)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("stubs", help="generate exercises/ from solutions/ (or --check that they agree)")
    p.add_argument("--solutions", default=str(KIT_ROOT / "solutions"))
    p.add_argument("--exercises", default=str(KIT_ROOT / "exercises"))
    p.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    p.set_defaults(run=_stubs)

    p = sub.add_parser("catalogs", help="extract, update and compile the message catalogs (--check: report drift)")
    p.add_argument("--check", action="store_true", help="only report catalogs out of date with the source; exit 1 if any")
    p.set_defaults(run=_catalogs)

    p = sub.add_parser("notebooks", help="generate notebooks/ from solutions/ (or --check that they agree)")
    p.add_argument("--solutions", default=str(KIT_ROOT / "solutions"))
    p.add_argument("--notebooks", default=str(KIT_ROOT / "notebooks"))
    p.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    p.set_defaults(run=_notebooks)

    p = sub.add_parser("grade", help="grade one submission (a folder or .zip of exNN_*.py or .ipynb files)")
    p.add_argument("submission")
    _add_outputs(p)
    p.add_argument("--fail-under", type=float, metavar="SCORE", help="exit 3 when the score is below SCORE")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.add_argument("--parallel", type=int, metavar="N",
                   help="exercises graded at once, each in its own child process (default: one per core)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch threads for each child (default: the cores shared among the --parallel children)")
    p.add_argument("--time-budget", type=float, metavar="S",
                   help="stop grading after S seconds; exercises not graded by then score 0 with a message "
                        "(report files are written at the start and again as each exercise finishes)")
    p.add_argument("--classroom", metavar="FILE",
                   help="write the result for GitHub Classroom's autograding reporter (base64 JSON)")
    p.add_argument("--summary", metavar="FILE", help="write a Markdown table of points (for $GITHUB_STEP_SUMMARY)")
    p.add_argument("--prairielearn", metavar="FILE", help="write PrairieLearn's external grader results.json")
    p.set_defaults(run=_grade)

    p = sub.add_parser("batch", help="grade every sub-folder or .zip of SUBMISSIONS into OUT")
    p.add_argument("submissions")
    p.add_argument("--out", required=True,
                   help="folder for OUT/gradebook.csv, OUT/report.html and OUT/students/<id>/ (results.json, feedback.html)")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--force", action="store_true", help="grade again even where results exist")
    p.add_argument("--hidden", metavar="DIR", help="add instructor-only checks from DIR")
    p.add_argument("--memory", type=float, default=4.0, metavar="GIB", help="memory cap per child process")
    p.add_argument("--exercises", metavar="NAMES", help="comma-separated exercises to grade (default: all)")
    p.add_argument("--import-timeout", type=float, default=60.0, metavar="S",
                   help="seconds allowed for importing one exercise file (default 60)")
    p.add_argument("--allow-weak-sandbox", action="store_true",
                   help="grade even where the kernel lacks Landlock or seccomp (the student's code is then less contained)")
    p.add_argument("--no-similarity", action="store_true", help="skip comparing the submissions' code (faster)")
    p.add_argument("--withhold-hidden", action="store_true", help="leave hidden checks out of the feedback pages")
    p.set_defaults(run=_batch)

    p = sub.add_parser("report", help="rebuild OUT/report.html and the feedback pages from OUT's results (no grading)")
    p.add_argument("out", help="a folder written by batch --out")
    p.add_argument("--withhold-hidden", action="store_true", help="leave hidden checks out of the feedback pages")
    p.set_defaults(run=_report)

    p = sub.add_parser("release", help="write the student bundle (no solutions, no hidden checks) to OUT")
    p.add_argument("out")
    p.set_defaults(run=_release)

    p = sub.add_parser("gradescope-bundle", help="write a Gradescope autograder zip")
    p.add_argument("out", help="for example autograder.zip")
    p.add_argument("--hidden", metavar="DIR", help="instructor-only checks to include")
    p.add_argument("--time-budget", type=float, default=540.0, metavar="S",
                   help="seconds of grading per submission before the rest is given up with a message "
                        "(default 540, under Gradescope's default limit of 10 minutes)")
    p.set_defaults(run=_gradescope_bundle)

    p = sub.add_parser("prairielearn", help="PrairieLearn external grader: grade ROOT/student into "
                                            "ROOT/results/results.json (ROOT: --root, $PRAIRIELEARN_ROOT or /grade)")
    p.add_argument("--root", metavar="DIR", help="the grading folder (default: $PRAIRIELEARN_ROOT, else /grade)")
    p.add_argument("--hidden", metavar="DIR", help="add instructor-only checks from DIR")
    p.add_argument("--exercises", metavar="NAMES",
                   help="comma-separated exercises to grade (default: those the student handed a file for)")
    p.add_argument("--time-budget", type=float, metavar="S",
                   help="stop grading after S seconds (keep it under the question's timeout)")
    p.add_argument("--memory", type=float, default=1.5, metavar="GIB", help="memory cap per child process")
    p.add_argument("--import-timeout", type=float, default=20.0, metavar="S",
                   help="seconds allowed for importing one exercise file (default 20)")
    p.set_defaults(run=_prairielearn)

    p = sub.add_parser("calibrate", help="measure an exercise's training thresholds over many seeds")
    p.add_argument("exercise", help="for example ex09_lenet")
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--solutions", default=str(KIT_ROOT / "solutions"))
    p.set_defaults(run=_calibrate)
    p = sub.add_parser("hint", help="hint N for the first check of EXERCISE that did not pass in the last run (no re-run)")
    p.add_argument("exercise", nargs="?", help="for example ex05_dropout (default: the first exercise with a failure)")
    p.add_argument("--level", type=int, default=1, metavar="N", help="1: the gentlest hint; each level reveals more")
    p.add_argument("--folder", metavar="DIR", help="where the run was saved (default: here, exercises/, notebooks/)")
    p.set_defaults(run=_hint)

    p = sub.add_parser("watch", help="check exercises again every time their file is saved")
    p.add_argument("exercises", nargs="*", help="for example ex01_tensors (default: every exercise in the folder)")
    p.add_argument("--folder", metavar="DIR", help="the folder of exNN_topic.py or .ipynb files (default: exercises/)")
    p.set_defaults(run=_watch)

    for command in sub.choices.values():
        command.add_argument("--lang", choices=i18n.LANGUAGES,
                             help="language of the messages (default: $GRADER_LANG, else the locale, else en)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    i18n.use_language(args.lang)
    try:
        return args.run(args)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return EXIT_USAGE
        return int(exc.code or 0)
    except Exception as exc:  # a bug in the grader itself, never the student's code
        print(_("internal grader error: {error}").format(error=f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
