"""Learner-facing text in the reader's language, through the standard gettext catalogs.

Messages are marked with :func:`_` (``N_`` for a constant translated later,
``ngettext`` for counts); the English text is the message id, so English needs
no catalog. The language is chosen, first match wins, by :func:`use_language`
(the command line's ``--lang``), the ``GRADER_LANG`` variable, the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``, for example ``zh_CN.UTF-8``), else
English. Catalogs live in ``grader/locale/<lang>/LC_MESSAGES/grader.mo``;
``python -m grader catalogs`` builds them.

Every catalog is loaded once, in the grading process, before the zygote
that children are forked from is started: a child switches to the language of
its request from gettext's cache and never reads a catalog itself.
"""

from __future__ import annotations

import gettext
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

DOMAIN = "grader"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("en", "zh")
ENV_VAR = "GRADER_LANG"
_LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")


@dataclass
class _Active:
    code: str
    translation: gettext.NullTranslations


# The translation in use (as gettext's own ``install`` keeps one); set on first use.
_active: list[_Active] = []


def normalise(name: str) -> str | None:
    """``zh_CN.UTF-8``, ``zh-Hans``, ``ZH`` -> ``zh``; ``en_US``, ``C``, ``POSIX`` -> ``en``; else None."""
    code = name.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    if code in ("c", "posix"):
        return "en"
    return code if code in LANGUAGES else None


def resolve(lang: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to use: ``lang``, else ``GRADER_LANG``, else the locale, else English."""
    environ = os.environ if environ is None else environ
    if lang:
        code = normalise(lang)
        if code is None:
            raise ValueError(f"unknown language {lang!r}; choose from {', '.join(LANGUAGES)}")
        return code
    for var in (ENV_VAR, *_LOCALE_VARS):
        value = environ.get(var, "")
        if value:
            return normalise(value) or "en"  # the first variable that is set decides, as for gettext
    return "en"


def use_language(lang: str | None = None) -> str:
    """Load the catalog of ``lang`` (resolved as :func:`resolve` does) and use it; return its code."""
    code = resolve(lang)
    if code == "en":
        translation = gettext.NullTranslations()
    else:
        translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)
    _active[:] = [_Active(code, translation)]
    return code


def language() -> str:
    """The code of the language in use, choosing it from the environment on first use."""
    if not _active:
        use_language()
    return _active[0].code


def _translation() -> gettext.NullTranslations:
    if not _active:
        use_language()
    return _active[0].translation


def _(message: str) -> str:
    """``message`` in the language in use (English when it has no translation)."""
    return _translation().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet (for constants)."""
    return message


def ladder(*messages: str) -> tuple[str, ...]:
    """Hints marked with :func:`N_`, in the language in use, from the gentlest to the most revealing."""
    return tuple(_(message) for message in messages)
