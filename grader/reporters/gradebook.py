"""The class gradebook: one CSV row per student, a column per exercise and the total.

``student`` is the submission's name as it was in the class folder, ``id`` its
folder under ``OUT/students/`` (both from its ``results.json``; a folder of an
older layout, ``OUT/<student>/``, is both). Each row also carries ``folder``,
the student's folder relative to OUT, which is not written to the CSV.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path, PurePosixPath

COLUMNS = ("student", "id", "total", "max_score", "status")  # every column that is not an exercise


def rows(out: Path, folders: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Read ``OUT/<folder>/results.json`` for each student; a student without one gets a "not graded" row."""
    exercises: list[str] = []
    table = []
    for folder in folders:
        name = PurePosixPath(folder).name
        row = {"student": name, "id": name, "folder": folder}
        try:
            data = json.loads((out / folder / "results.json").read_text())
            student = data.get("student") or {}
            row.update(student=str(student.get("name") or name), id=str(student.get("id") or name))
            for exercise in data["exercises"]:
                if exercise["name"] not in exercises:
                    exercises.append(exercise["name"])
                row[exercise["name"]] = f"{exercise['score']:g}"
            if data["status"] == "error":
                row.update(total="", max_score="", status="error")
            else:
                row.update(total=f"{data['score']:g}", max_score=f"{data['max_score']:g}", status=data["status"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            row.update(total="", max_score="", status="not graded")
        table.append(row)
    return ["student", "id", *sorted(exercises), "total", "max_score", "status"], table


def exercises(header: list[str]) -> list[str]:
    """The exercise columns of a gradebook header."""
    return [column for column in header if column not in COLUMNS]


def dumps(out: Path, folders: list[str]) -> str:
    header, table = rows(out, folders)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, restval="", lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue()
