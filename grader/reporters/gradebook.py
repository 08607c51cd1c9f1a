"""The class gradebook: one CSV row per student, a column per exercise and the total.

``student`` is the student's folder name, their id in a batch
(``OUT/students/<id>/``); ``name`` is the name as handed in (``results.json``'s
``"student"``, else the folder's name).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

COLUMNS = ("student", "name", "total", "max_score", "status")  # every column that is not an exercise


def rows(out: Path, students: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Read ``OUT/<student>/results.json`` for each student; a student without one gets a "not graded" row."""
    exercises: list[str] = []
    table = []
    for student in students:
        row = {"student": student, "name": student}
        try:
            data = json.loads((out / student / "results.json").read_text())
            if isinstance(data.get("student"), str) and data["student"]:
                row["name"] = data["student"]
            for exercise in data["exercises"]:
                if exercise["name"] not in exercises:
                    exercises.append(exercise["name"])
                if data["status"] != "error":
                    row[exercise["name"]] = f"{exercise['score']:g}"
            if data["status"] == "error":  # the grade itself failed: no points to count
                row.update(total="", max_score="", status="error")
            else:
                row.update(total=f"{data['score']:g}", max_score=f"{data['max_score']:g}", status=data["status"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            row.update(total="", max_score="", status="not graded")
        table.append(row)
    return header(exercises), table


def header(exercises: list[str]) -> list[str]:
    """The gradebook's columns for these exercises."""
    return ["student", "name", *sorted(set(exercises)), "total", "max_score", "status"]


def exercises(columns: list[str]) -> list[str]:
    """The exercise columns of a gradebook header."""
    return [column for column in columns if column not in COLUMNS]


def dumps(out: Path, students: list[str]) -> str:
    header_, table = rows(out, students)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header_, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue()
