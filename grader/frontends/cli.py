"""``python -m grader``: a thin command line over the grader's API."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from types import ModuleType

from grader.authoring import stubs
from grader.engine import i18n
from grader.engine.i18n import _
from grader.engine.model import GradeResult

KIT_ROOT = Path(__file__).resolve().parents[2]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNDER = 3


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


def _write_reports(result: GradeResult, args: argparse.Namespace) -> None:
    from grader.reporters import gradescope, json_v3, junit

    for path, reporter in ((args.json, json_v3), (args.gradescope, gradescope), (args.junit, junit)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(reporter.dumps(result))


def _selected(exercises: dict, names: str | None) -> dict:
    if not names:
        return exercises
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in exercises]
    if unknown:
        message = _("error: --exercises: no exercise {names}; choose from {choices}")
        raise SystemExit(message.format(names=", ".join(unknown), choices=", ".join(exercises)))
    return {name: exercises[name] for name in wanted}


def _grade(args: argparse.Namespace) -> int:
    from grader.checks import registry
    from grader.sandbox.grading import SubmissionError, grade_submission
    from grader.sandbox.isolation import GiB, Limits
    from grader.reporters import terminal
    from grader.sandbox import zygote

    available = pin_threads()
    zygote.shared()  # forked now, before the hidden checks and the submission are read
    try:
        hidden = _hidden(args)
        exercises = _selected(registry.all_exercises(hidden), args.exercises)
        parallel = max(1, min(args.parallel or cores(), len(exercises)))
        threads = args.threads or max(1, available // parallel)
        limits = Limits(memory_bytes=int(args.memory * GiB), threads=threads, import_timeout=args.import_timeout,
                        parallel=parallel)
        result = grade_submission(Path(args.submission), hidden, limits, exercises)
    except SubmissionError as exc:
        print(_("error: {error}").format(error=exc), file=sys.stderr)
        return EXIT_USAGE
    finally:
        torch_threads(available)
    _write_reports(result, args)
    if not args.quiet:
        print(terminal.report(result))
    if args.fail_under is not None and result.score < args.fail_under:
        message = _("score {score} is under --fail-under {minimum}")
        print(message.format(score=f"{result.score:g}", minimum=f"{args.fail_under:g}"), file=sys.stderr)
        return EXIT_UNDER
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from grader.frontends import batch
    from grader.reporters import gradebook

    folder, out = Path(args.submissions), Path(args.out)
    if not folder.is_dir():
        print(_("error: {path} is not a folder of submissions").format(path=folder), file=sys.stderr)
        return EXIT_USAGE
    flags = (("--hidden", args.hidden), ("--memory", str(args.memory)), ("--exercises", args.exercises),
             ("--import-timeout", str(args.import_timeout)), ("--lang", args.lang))
    extra = [flag for flag in flags if flag[1]]
    outcomes = batch.run_batch(
        folder, out, jobs=args.jobs, force=args.force, extra=[x for pair in extra for x in pair],
        progress=batch.progress_bar(sys.stderr),
    )
    (out / "gradebook.csv").write_text(gradebook.dumps(out, [o.student for o in outcomes]))
    failed = [o for o in outcomes if o.status == "failed"]
    summary = _("graded {graded} of {total} submissions; gradebook: {path}")
    print(summary.format(graded=len(outcomes) - len(failed), total=len(outcomes), path=out / "gradebook.csv"))
    for o in failed:
        print("  " + _("could not grade {student}: {detail}").format(student=o.student, detail=o.detail), file=sys.stderr)
    try:
        path = _write_html(out, [o.student for o in outcomes])
    except ReportExtraMissing as exc:
        print(_("no class report: {error}").format(error=exc), file=sys.stderr)
    else:
        print(_("class report: {path} (and a feedback.html per student)").format(path=path))
    return EXIT_OK


REPORT_EXTRA = "the class report needs jinja2 and matplotlib: pip install 'torch-exercise-kit[report]'"


class ReportExtraMissing(Exception):
    pass


def _write_html(out: Path, students: list[str] | None) -> Path:
    try:
        from grader.reporters import html
    except ImportError as exc:
        raise ReportExtraMissing(f"{REPORT_EXTRA} ({exc})") from None
    return html.write(out, students)


def _report(args: argparse.Namespace) -> int:
    from grader.reporters import classreport

    out = Path(args.out)
    if not out.is_dir() or not any((out / s / classreport.RESULTS).is_file() for s in classreport.find_students(out)):
        message = _("error: {path} holds no <student>/results.json; grade the class first: "
                    "python -m grader batch DIR --out {path}")
        print(message.format(path=out), file=sys.stderr)
        return EXIT_USAGE
    try:
        path = _write_html(out, None)
    except ReportExtraMissing as exc:
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

    path = release.gradescope_bundle(Path(args.out), _hidden(args))
    print(_("Gradescope autograder written to {path}: upload it as the assignment's autograder zip").format(path=path))
    return EXIT_OK


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


def pin_threads() -> int:
    """Keep this process single-threaded so forked children may use every core (see Limits)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    return threads


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def torch_threads(count: int) -> None:
    import torch

    torch.set_num_threads(count)


def _hidden(args: argparse.Namespace) -> Path | None:
    if args.hidden is None:
        return None
    hidden = Path(args.hidden)
    if not hidden.is_dir():
        raise SystemExit(_("error: --hidden {path}: no such folder").format(path=hidden))
    return hidden


def _add_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write results (Exercism v3 format with scores)")
    p.add_argument("--gradescope", metavar="FILE", help="write Gradescope results.json")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    p.add_argument("--hidden", metavar="DIR", help="add instructor-only checks from DIR")
    p.add_argument("--memory", type=float, default=4.0, metavar="GIB", help="memory cap per child process (default 4)")
    p.add_argument("--exercises", metavar="NAMES", help="comma-separated exercises to grade (default: all)")
    p.add_argument("--import-timeout", type=float, default=60.0, metavar="S",
                   help="seconds allowed for importing one exercise file (default 60)")


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
    p.set_defaults(run=_grade)

    p = sub.add_parser("batch", help="grade every sub-folder or .zip of SUBMISSIONS into OUT")
    p.add_argument("submissions")
    p.add_argument("--out", required=True, help="folder for OUT/<student>/results.json and OUT/gradebook.csv")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--force", action="store_true", help="grade again even where results exist")
    p.add_argument("--hidden", metavar="DIR", help="add instructor-only checks from DIR")
    p.add_argument("--memory", type=float, default=4.0, metavar="GIB", help="memory cap per child process")
    p.add_argument("--exercises", metavar="NAMES", help="comma-separated exercises to grade (default: all)")
    p.add_argument("--import-timeout", type=float, default=60.0, metavar="S",
                   help="seconds allowed for importing one exercise file (default 60)")
    p.set_defaults(run=_batch)

    p = sub.add_parser("report", help="rebuild OUT/report.html and the feedback pages from OUT's results (no grading)")
    p.add_argument("out", help="a folder written by batch --out")
    p.set_defaults(run=_report)

    p = sub.add_parser("release", help="write the student bundle (no solutions, no hidden checks) to OUT")
    p.add_argument("out")
    p.set_defaults(run=_release)

    p = sub.add_parser("gradescope-bundle", help="write a Gradescope autograder zip")
    p.add_argument("out", help="for example autograder.zip")
    p.add_argument("--hidden", metavar="DIR", help="instructor-only checks to include")
    p.set_defaults(run=_gradescope_bundle)

    p = sub.add_parser("calibrate", help="measure an exercise's training thresholds over many seeds")
    p.add_argument("exercise", help="for example ex09_lenet")
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--solutions", default=str(KIT_ROOT / "solutions"))
    p.set_defaults(run=_calibrate)
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
