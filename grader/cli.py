"""``python -m grader``: a thin command line over the grader's API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import stubs

KIT_ROOT = Path(__file__).resolve().parent.parent

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNDER = 3


def _stubs(args: argparse.Namespace) -> int:
    solutions, exercises = Path(args.solutions), Path(args.exercises)
    if args.check:
        drift = stubs.drift(solutions, exercises)
        for d in drift:
            print(f"{d.name}: {d.reason}")
        print("exercises/ is in sync with solutions/" if not drift else "run: python -m grader stubs")
        return 1 if drift else 0
    for path in stubs.generate(solutions, exercises):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("stubs", help="generate exercises/ from solutions/ (or --check that they agree)")
    p.add_argument("--solutions", default=str(KIT_ROOT / "solutions"))
    p.add_argument("--exercises", default=str(KIT_ROOT / "exercises"))
    p.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    p.set_defaults(run=_stubs)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
