"""Translation catalogs: extract, update and compile with Babel (``python -m grader catalogs``).

The English text marked with ``_()``, ``N_()`` or ``ngettext()`` in ``grader/``
is the message id; the first line of every check's docstring (its title) is
extracted too. ``grader/locale/grader.pot`` is the template,
``grader/locale/<lang>/LC_MESSAGES/grader.po`` a translation and ``grader.mo``
its compiled form, which the runtime reads with the standard ``gettext``.
A second domain, ``notebooks``, holds the prose of the generated notebooks
(each docstring paragraph of ``solutions/`` and the fixed texts of
:mod:`grader.authoring.notebooks`), from which ``notebooks/zh/`` is written.

Catalog files are written so that parallel work merges: entries sorted by
source file, file names without line numbers, fixed header dates. Babel is a
development dependency; only this module and the tests import it.
"""

from __future__ import annotations

import ast
import datetime
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Iterator, Mapping

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_python
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from grader.authoring import notebooks, stubs
from grader.engine.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

KIT = LOCALE_DIR.parents[1]
CONFIG = KIT / "babel.cfg"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
COMMENT_TAGS = ("TRANSLATORS:",)
_FIXED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # no churn from dates on every run
_WRITE = {"width": 100, "sort_by_file": True, "include_lineno": False, "ignore_obsolete": True}


@dataclass(frozen=True)
class Stale:
    """A catalog file that does not match the source: its path and why."""

    path: Path
    reason: str


DOMAINS = (DOMAIN, notebooks.DOMAIN)


def po_path(lang: str, locale_dir: Path = LOCALE_DIR, domain: str = DOMAIN) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"


def translated_languages() -> tuple[str, ...]:
    return tuple(lang for lang in LANGUAGES if lang != "en")


# ---- extraction ----------------------------------------------------------------------------------


def extract_grader(
    fileobj: Any, keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str | None, str | tuple[str, ...], list[str]]]:
    """Babel extraction method for the grader: ``_()`` and friends, plus check titles."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    yield from _check_titles(source)


def _check_titles(source: bytes) -> Iterator[tuple[int, None, str, list[str]]]:
    """The first docstring line of every function decorated with ``@<exercise>.check(...)``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(_is_check_decorator(d) for d in node.decorator_list):
            doc = ast.get_docstring(node)
            if doc and doc.strip():
                yield node.lineno, None, doc.strip().splitlines()[0], ["The title of a check, shown above its failure."]


def _is_check_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return isinstance(target, ast.Attribute) and target.attr == "check"


def extract(root: Path = KIT) -> Catalog:
    """The template catalog of everything marked in ``root/grader`` (as configured in babel.cfg)."""
    with open(root / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f, str(root / "babel.cfg"))
    catalog = _new_catalog(None)
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def extract_notebooks(root: Path = KIT) -> Catalog:
    """The template catalog of the notebooks' prose: what :func:`notebooks.messages` finds per exercise."""
    catalog = _new_catalog(None, notebooks.DOMAIN)
    for path in stubs.exercise_files(root / "solutions"):
        for message in notebooks.messages(path.read_text(), path.stem):
            catalog.add(message, None, [(path.relative_to(root).as_posix(), 0)])
    return catalog


_TEXTS = {DOMAIN: "Learner-facing messages of the torch-exercise-kit grader", notebooks.DOMAIN: "The prose of the kit's notebooks"}
_HEADER = """\
# {texts}{language}.
# Made by `python -m grader catalogs`: fill in msgstr, keep each {{placeholder}}, run it again.
#"""


def _new_catalog(locale: str | None, domain: str = DOMAIN) -> Catalog:
    return Catalog(
        locale=locale, domain=domain, project="torch-exercise-kit", version="1", charset="utf-8",
        header_comment=_HEADER.format(texts=_TEXTS[domain], language=f" ({locale})" if locale else ""),
        creation_date=_FIXED_DATE, revision_date=_FIXED_DATE, fuzzy=False,
        msgid_bugs_address="the kit's issue tracker", copyright_holder="the torch-exercise-kit authors",
        last_translator="the torch-exercise-kit authors", language_team=f"torch-exercise-kit {locale or ''}".strip(),
    )


# ---- files ---------------------------------------------------------------------------------------


# A %-placeholder the kit really uses (in the report templates' {% trans %}); "50% of" is not one.
_PERCENT_PLACEHOLDER = re.compile(r"%(\([A-Za-z_]\w*\))?[sdr]")


def _percent_flags_only_where_meant(catalog: Catalog) -> None:
    """Babel marks "% of" as python-format (a space flag and the octal conversion), and msgfmt
    --check-format then refuses a translation without it: keep the flag only for real placeholders."""
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if "python-format" in message.flags and not any(_PERCENT_PLACEHOLDER.search(i or "") for i in ids):
            message.flags.discard("python-format")


def po_bytes(catalog: Catalog) -> bytes:
    _percent_flags_only_where_meant(catalog)
    buffer = io.BytesIO()
    write_po(buffer, catalog, **_WRITE)
    return buffer.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def read(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=locale, domain=path.stem)


def updated(template: Catalog, lang: str, po: Path) -> Catalog:
    """The translation of ``lang`` brought up to ``template``: new ids empty, changed ones fuzzy."""
    catalog = read(po, lang) if po.exists() else _new_catalog(lang, po.stem)
    catalog.revision_date = _FIXED_DATE
    catalog.update(template, update_header_comment=False)
    catalog.obsolete.clear()
    return catalog


def build(root: Path = KIT) -> dict[Path, bytes]:
    """Every catalog file as it should be for the source in ``root``: .pot, .po and .mo per language."""
    locale_dir = root / LOCALE_DIR.relative_to(KIT)
    files = {}
    for domain, template in ((DOMAIN, extract(root)), (notebooks.DOMAIN, extract_notebooks(root))):
        files[locale_dir / f"{domain}.pot"] = po_bytes(template)
        for lang in translated_languages():
            po = po_path(lang, locale_dir, domain)
            catalog = updated(template, lang, po)
            files[po] = po_bytes(catalog)
            files[po.with_suffix(".mo")] = mo_bytes(catalog)
    return files


def stale(root: Path = KIT) -> list[Stale]:
    """The catalog files that ``python -m grader catalogs`` would change.

    Compared by content (message ids, translations, flags, source files; the compiled
    messages), not bytes, so another Babel version does not make every catalog stale.
    """
    out = []
    for path, data in build(root).items():
        if not path.exists():
            out.append(Stale(path, "missing"))
        elif _content(path, path.read_bytes()) != _content(path, data):
            out.append(Stale(path, "out of date with the source"))
    return out


def write(root: Path = KIT) -> list[Path]:
    """Extract, update and compile; return the files that changed."""
    files = build(root)
    changed = [item.path for item in stale(root)]
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path])
    return changed


def _content(path: Path, data: bytes) -> object:
    if path.suffix == ".mo":
        catalog = read_mo(io.BytesIO(data))
        return {str(m.id): m.string for m in catalog if m.id}
    catalog = read_po(io.BytesIO(data), domain=DOMAIN)
    messages = {
        str(m.id): (m.string, m.fuzzy, sorted({file for file, _ in m.locations}), m.auto_comments)
        for m in catalog
        if m.id
    }
    return messages, data.count(b"python-format")  # Babel adds that flag again on reading: count it as written


def untranslated(lang: str, root: Path = KIT, domain: str = DOMAIN) -> list[str]:
    """Message ids of ``lang``'s .po that have no translation yet or are marked fuzzy."""
    catalog = read(po_path(lang, root / LOCALE_DIR.relative_to(KIT), domain), lang)
    return [str(m.id) for m in catalog if m.id and (m.fuzzy or not _has_text(m.string))]


def _has_text(string: str | tuple[str, ...]) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)
