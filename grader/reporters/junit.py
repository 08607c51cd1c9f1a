"""JUnit XML: one ``testcase`` per check case, as CI systems read it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.engine.model import GradeResult, Outcome


_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (a student may print anything)."""
    return _NOT_XML.sub("\ufffd", text)


def to_element(result: GradeResult) -> ET.Element:
    counts = {o: sum(1 for r in result.results if r.outcome is o) for o in Outcome}
    failures = counts[Outcome.FAILED] + counts[Outcome.NOT_STARTED]
    errors = counts[Outcome.ERROR] + counts[Outcome.TIMEOUT] + counts[Outcome.CRASHED]
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites, "testsuite", name="grader", tests=str(len(result.results)), failures=str(failures),
        errors=str(errors), skipped=str(counts[Outcome.SKIPPED]), time=f"{result.duration:.3f}",
    )
    for r in result.results:
        case = ET.SubElement(suite, "testcase", classname=r.exercise, name=r.check + (f"[{r.device}]" if r.device else ""),
                             time=f"{r.duration:.3f}")
        ET.SubElement(case, "properties").extend(
            [ET.Element("property", name="score", value=f"{r.score:g}"),
             ET.Element("property", name="max_score", value=f"{r.max_score:g}"),
             ET.Element("property", name="outcome", value=r.outcome.value)]
            + ([ET.Element("property", name="tag", value=r.tag.value)] if r.tag else [])
        )
        if r.outcome is Outcome.SKIPPED:
            ET.SubElement(case, "skipped", message=_clean(r.message))
        elif r.outcome in (Outcome.FAILED, Outcome.NOT_STARTED):
            ET.SubElement(case, "failure", message=r.outcome.label, type=r.outcome.value).text = _clean(r.message)
        elif r.outcome is not Outcome.PASSED:
            ET.SubElement(case, "error", message=r.outcome.label, type=r.outcome.value).text = _clean(r.message)
        if r.output:
            ET.SubElement(case, "system-out").text = _clean(r.output)
    return suites


def dumps(result: GradeResult) -> str:
    element = to_element(result)
    ET.indent(element)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"
