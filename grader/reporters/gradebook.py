"""The class gradebook: one CSV row per student, a column per exercise and the total."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path


def rows(out: Path, students: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Read ``OUT/<student>/results.json`` for each student; a student without one gets an error row."""
    exercises: list[str] = []
    table = []
    for student in students:
        row = {"student": student}
        try:
            data = json.loads((out / student / "results.json").read_text())
            for exercise in data["exercises"]:
                if exercise["name"] not in exercises:
                    exercises.append(exercise["name"])
                row[exercise["name"]] = f"{exercise['score']:g}"
            row.update(total=f"{data['score']:g}", max_score=f"{data['max_score']:g}", status=data["status"])
        except (OSError, ValueError, KeyError, TypeError):
            row.update(total="", max_score="", status="not graded")
        table.append(row)
    return ["student", *sorted(exercises), "total", "max_score", "status"], table


def dumps(out: Path, students: list[str]) -> str:
    header, table = rows(out, students)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue()
