"""Makes `pytest notebooks` run the kit's checks against the code cells of the notebooks in this folder.

`pytest notebooks` checks the English notebooks here; `pytest notebooks/zh` the Chinese ones in zh/
(add `GRADER_LANG=zh` for Chinese messages). One run checks one folder, as one submission: the same
exercise in both folders would be counted twice in the points table.
"""

from pathlib import Path

from grader.frontends.pytest_plugin import (  # noqa: F401  (pytest finds hooks by name)
    pytest_collect_file,
    pytest_configure,
    pytest_report_teststatus,
    pytest_runtest_makereport,
    pytest_terminal_summary,
    pytest_unconfigure,
)

TRANSLATIONS = Path(__file__).parent / "zh"


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """Leave zh/ out unless the command names it (or a notebook in it)."""
    if collection_path != TRANSLATIONS:
        return None
    named = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    return not any(path == TRANSLATIONS or TRANSLATIONS in path.parents for path in named)
