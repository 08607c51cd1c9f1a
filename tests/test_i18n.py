"""Languages: resolution, the gettext catalogs, and that every learner-facing text is translated.

When one of these fails after you wrote or changed a check, the message says
what to run and what to add; the short version:

    wrap each learner-facing text in _("..."), with {named} placeholders and .format(...)
    python -m grader catalogs          # extract, update grader/locale/zh/LC_MESSAGES/grader.po, compile
    edit the empty msgstr "" lines of that .po (keep every {placeholder}), run the command again

The notebooks' prose is a second catalog, notebooks.po, checked by the same tests; after
translating it, `python -m grader notebooks` writes notebooks/zh/.
"""

from __future__ import annotations

import ast
import inspect
import re
import string
from pathlib import Path

import pytest

from grader.authoring import catalogs
from grader.engine import api, expect, i18n
from grader.engine.api import Message
from grader.engine.model import Outcome

from conftest import KIT

PO = catalogs.po_path("zh")
FIX = (
    "Run `python -m grader catalogs`, then fill in the empty or fuzzy msgstr entries of "
    f"{PO.relative_to(KIT)} (keep every {{placeholder}} of the English), and run the command again."
)

# Check modules whose messages are not marked for translation yet. Remove a module's line
# when you mark it: the xfail below turns into a failure until you do.
PENDING = {
}


LANGS = catalogs.translated_languages()
CATALOGS = [(lang, domain) for lang in LANGS for domain in catalogs.DOMAINS]


def _catalog(lang: str, domain: str = i18n.DOMAIN):
    return catalogs.read(catalogs.po_path(lang, domain=domain), lang)


def _fix(lang: str, domain: str) -> str:
    if domain == i18n.DOMAIN:
        return FIX
    po = catalogs.po_path(lang, domain=domain).relative_to(KIT)
    return (f"Run `python -m grader catalogs`, translate the empty or fuzzy msgstr entries of {po} "
            "(each is one paragraph of a notebook), run it again, then `python -m grader notebooks`.")


def _where(message) -> str:
    return ", ".join(sorted({file for file, _ in message.locations}))


def _counted(message) -> bool:
    return bool(message.id) and not all(file in PENDING for file, _ in message.locations)


# ---- language resolution -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_MESSAGES": "zh_SG", "LANG": "en_US.UTF-8"}, "zh"),
        ({"GRADER_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),
        ({"GRADER_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        ({"GRADER_LANG": "zh-Hans"}, "zh"),
    ],
)
def test_the_language_comes_from_grader_lang_then_the_locale_then_english(environ: dict, expected: str) -> None:
    assert i18n.resolve(None, environ) == expected


def test_an_explicit_language_wins_and_an_unknown_one_is_refused() -> None:
    assert i18n.resolve("zh", {"GRADER_LANG": "en"}) == "zh"
    assert i18n.resolve("en", {"LANG": "zh_CN.UTF-8"}) == "en"
    with pytest.raises(ValueError, match="choose from en, zh"):
        i18n.resolve("klingon", {})


def test_english_is_the_message_itself_and_chinese_comes_from_the_compiled_catalog() -> None:
    message = Message("scale_(t, 2.0)", "the same tensor object back", "a different object", "Use t.mul_(factor).")
    english = message.render()
    assert english.splitlines()[0] == "Checked:  scale_(t, 2.0)"
    i18n.use_language("zh")
    assert i18n.language() == "zh"
    assert message.render().splitlines() == [
        "检查：scale_(t, 2.0)",
        "期望：the same tensor object back",
        "实际：a different object",
        "提示：Use t.mul_(factor).",
    ]
    assert Outcome.NOT_STARTED.label == "未开始"
    i18n.use_language("en")
    assert message.render() == english
    assert Outcome.NOT_STARTED.label == "not started"


def test_tensor_comparisons_speak_chinese() -> None:
    import torch

    from grader.engine.observe import snapshot

    i18n.use_language("zh")
    with pytest.raises(api.CheckFailed) as shape:
        expect.expect_tensor(snapshot(torch.zeros(2, 3)), torch.zeros(3, 2), "f(x)")
    assert shape.value.message.expected == "形状 (3, 2)" and shape.value.message.got == "形状 (2, 3)"
    with pytest.raises(api.CheckFailed) as values:
        expect.expect_tensor(snapshot(torch.tensor([1.0, 2.0])), torch.tensor([1.0, 3.0]), "f(x)")
    assert values.value.message.got.startswith("1/2 个值不同；差异最大的几个：\n")


# ---- the catalogs --------------------------------------------------------------------------------


def test_the_catalogs_are_up_to_date_with_the_source() -> None:
    """Re-extracts from the source and compares: template, translation and compiled catalog."""
    out_of_date = [f"{s.path.relative_to(KIT)}: {s.reason}" for s in catalogs.stale()]
    assert not out_of_date, (
        "The message catalogs do not match the source:\n  " + "\n  ".join(out_of_date) + "\n" + FIX
    )


@pytest.mark.parametrize(("lang", "domain"), CATALOGS)
def test_every_marked_message_has_a_translation(lang: str, domain: str) -> None:
    missing = [f"  {m.id!r}  ({_where(m)})" for m in _catalog(lang, domain) if _counted(m) and not m.string]
    assert not missing, (
        f"{len(missing)} messages have no translation in {catalogs.po_path(lang, domain=domain).relative_to(KIT)}:\n"
        + "\n".join(missing) + "\n" + _fix(lang, domain)
    )


@pytest.mark.parametrize(("lang", "domain"), CATALOGS)
def test_no_translation_is_fuzzy(lang: str, domain: str) -> None:
    fuzzy = [f"  {m.id!r}  ({_where(m)})" for m in _catalog(lang, domain) if m.id and m.fuzzy]
    assert not fuzzy, (
        "These translations were guessed from an older English text (marked fuzzy): check each one, "
        "correct it and delete its `#, fuzzy` line, then run `python -m grader catalogs`:\n" + "\n".join(fuzzy)
    )


_PERCENT = re.compile(r"%(?:\(\w+\))?[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """The ``{name}`` fields (with their format specs) and the %-style ones of ``text``."""
    fields = sorted(f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text) if name is not None)
    return fields, sorted(_PERCENT.findall(text))


@pytest.mark.parametrize(("lang", "domain"), CATALOGS)
def test_translations_keep_the_placeholders_of_the_english(lang: str, domain: str) -> None:
    wrong = []
    for m in _catalog(lang, domain):
        if m.id and m.string:
            english = m.id[-1] if isinstance(m.id, tuple) else m.id  # a plural: each form as the English plural
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            try:
                same = all(placeholders(form) == placeholders(english) for form in forms)
            except ValueError as exc:  # an unbalanced brace
                same, exc_text = False, f" ({exc})"
            else:
                exc_text = ""
            if not same:
                wrong.append(f"  {m.id!r}\n    -> {m.string!r}{exc_text}")
    assert not wrong, (
        "These translations do not have the same {placeholders} as the English; give each the same "
        "names (order may change), then run `python -m grader catalogs`:\n" + "\n".join(wrong)
    )


_CODE_SPAN = re.compile(r"``[^`]+``|`[^`]+`")


@pytest.mark.parametrize("lang", LANGS)
def test_notebook_translations_keep_every_code_span(lang: str) -> None:
    """Names, shapes and maths stay exactly as in English: the same `code` spans."""
    wrong = [
        f"  {m.id!r}\n    lacks {sorted(set(_CODE_SPAN.findall(m.id)) - set(_CODE_SPAN.findall(m.string)))}"
        f", adds {sorted(set(_CODE_SPAN.findall(m.string)) - set(_CODE_SPAN.findall(m.id)))}"
        for m in _catalog(lang, "notebooks")
        if m.id and m.string and set(_CODE_SPAN.findall(m.id)) != set(_CODE_SPAN.findall(m.string))
    ]
    assert not wrong, (
        "These notebook translations change a `code` span of the English; copy each "
        "exactly, then run `python -m grader catalogs` and `python -m grader notebooks`:\n" + "\n".join(wrong)
    )


def test_the_compiled_catalog_is_shipped_with_the_package() -> None:
    pyproject = (KIT / "pyproject.toml").read_text()
    assert '"locale/*/LC_MESSAGES/*.mo"' in pyproject
    assert PO.with_suffix(".mo").is_file()


# ---- unmarked learner-facing text ----------------------------------------------------------------


def _text_parameters() -> dict[str, list[tuple[int, str]]]:
    """For fail/expect_*/Message: the (position, name) of each parameter that takes learner text."""
    functions = {name: getattr(expect, name) for name in dir(expect) if name == "fail" or name.startswith("expect_")}
    functions["Message"] = Message
    found = {}
    for name, function in functions.items():
        parameters = list(inspect.signature(function).parameters.values())
        found[name] = [(i, p.name) for i, p in enumerate(parameters) if p.annotation in ("str", str, "Hints")]
    return found


TEXT_PARAMETERS = _text_parameters()
# Words, not code such as "scale_(t, 2.5)" or "x.grad": two words in a row, or a little word between spaces.
_PROSE = re.compile(r"[A-Za-z]+ [A-Za-z]{2,}|(?:^|\s)(?:a|an|the|for|on|of|in|at|to|with|after|from|and|or|not|is)\s")


def _assignments(tree: ast.AST) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found.setdefault(node.target.id, []).append(node.value)
    return found


def _unmarked(node: ast.expr, names: dict[str, list[ast.expr]], depth: int = 0) -> list[str]:
    """Literal English text in ``node`` that does not go through ``_()``."""
    if depth > 8:
        return []
    again = lambda child: _unmarked(child, names, depth + 1)  # noqa: E731
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) and _PROSE.search(node.value) else []
    if isinstance(node, ast.JoinedStr):
        literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        return [ast.unparse(node)] if _PROSE.search(literal) else []
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            return []
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
            return again(node.func.value)
        return []  # a helper: its own literals are checked where they meet fail()/expect_*()
    if isinstance(node, ast.BinOp):
        return again(node.left) + again(node.right)
    if isinstance(node, ast.IfExp):
        return again(node.body) + again(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [text for value in node.values for text in again(value)]
    if isinstance(node, ast.Name):
        return [text for value in names.get(node.id, []) for text in again(value)]
    return []


TEXT_NAMES = {"checked", "expected", "got", "hint"}


def _local_text_parameters(tree: ast.AST) -> dict[str, list[tuple[int, str]]]:
    """The module's own helpers that take a ``checked``/``expected``/``got``/``hint`` argument."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            wanted = [(i, a.arg) for i, a in enumerate(node.args.args) if a.arg in TEXT_NAMES]
            if wanted:
                found[node.name] = wanted
    return found


def unmarked_texts(source: str) -> list[tuple[int, str]]:
    """(line, text) of every literal learner text given to fail/expect_*/Message (or a helper's
    ``checked``/``expected``/``got``/``hint`` parameter) without ``_()``."""
    tree = ast.parse(source)
    names = _assignments(tree)
    parameters = {**_local_text_parameters(tree), **TEXT_PARAMETERS}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if func in ("_", "N_", "ngettext") and node.args and not isinstance(node.args[0], ast.Constant):
            if isinstance(node.args[0], (ast.JoinedStr, ast.BinOp)) or (
                isinstance(node.args[0], ast.Call) and getattr(node.args[0].func, "attr", "") == "format"
            ):
                found.append((node.lineno, f"{ast.unparse(node)}: build the text outside _(), never inside"))
            continue
        if func not in parameters:
            continue
        wanted = parameters[func]
        arguments = [node.args[i] for i, _ in wanted if i < len(node.args)]
        arguments += [k.value for k in node.keywords if k.arg in {name for _, name in wanted}]
        found.extend((node.lineno, text) for argument in arguments for text in _unmarked(argument, names))
    return sorted(set(found))


MODULES = sorted(str(p.relative_to(KIT)) for p in (KIT / "grader").rglob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_learner_facing_texts_are_marked_for_translation(module: str, request: pytest.FixtureRequest) -> None:
    if module in PENDING:
        request.applymarker(pytest.mark.xfail(reason="not marked for translation yet", strict=True))
    found = unmarked_texts((KIT / module).read_text())
    listing = "\n".join(f"  {module}:{line}: {text}" for line, text in found)
    assert not found, (
        f"{len(found)} learner-facing texts are not marked for translation:\n{listing}\n"
        'Wrap each in _("...") with {named} placeholders, e.g. _("Expected {n} rows").format(n=n) '
        "(`from grader.engine.i18n import _`); then " + FIX
    )


def bindings_of_underscore(source: str) -> list[int]:
    """Lines where ``_`` is bound (def _, _ = ..., for _ in, as _, a parameter _): each hides gettext's ``_``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "_":
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            lines.append(node.lineno)
        elif isinstance(node, ast.arg) and node.arg == "_":
            lines.append(node.lineno)
        elif isinstance(node, ast.ExceptHandler) and node.name == "_":
            lines.append(node.lineno)
        elif isinstance(node, ast.alias) and (node.asname or node.name) == "_" and node.name != "_":
            lines.append(getattr(node, "lineno", 0))
    return sorted(set(lines))


@pytest.mark.parametrize("module", MODULES)
def test_nothing_hides_the_gettext_function(module: str) -> None:
    source = (KIT / module).read_text()
    if not re.search(r"^from grader\.(engine\.i18n|api) import .*\b_\b", source, re.MULTILINE):
        return
    lines = bindings_of_underscore(source)
    assert not lines, (
        f"{module} imports gettext's _ but also binds the name _ at line(s) {lines}, so _(\"...\") would call "
        "something else. Rename it: judges `def _judge(obs, case):`, loops `for _i in ...`, unpacking `_pid, status = ...`."
    )


@pytest.mark.parametrize("module", MODULES)
def test_no_text_is_translated_at_import_time(module: str) -> None:
    """A module-level _("...") is translated once, in whatever language was set when it was imported."""
    tree = ast.parse((KIT / module).read_text())
    in_functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.Lambda)) for n in ast.walk(f)}
    lines = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in ("_", "ngettext") and id(n) not in in_functions]
    assert not lines, (
        f"{module}: _() called at import time at line(s) {lines}. Mark the constant with N_(\"...\") "
        "(`from grader.engine.i18n import N_`) and translate where it is used: _(CONSTANT)."
    )


def test_the_scanner_finds_an_unmarked_message() -> None:
    source = (
        "from grader.api import expect_true, fail\n"
        "HINT = 'Call model.eval() first.'\n"
        "def judge(obs, case):\n"
        "    expect_true(obs['ok'], 'net(x)', _('the same output'), f'{obs} came back', hint=HINT)\n"
        "    fail(_('net(x)').format(), 'a tensor', _('{n} rows').format(n=3), _(f'{case}'))\n"
        "def _layer(facts, checked, hint):\n"
        "    return facts\n"
        "_layer({}, 'fc1', 'Create self.fc1 first.')\n"
    )
    assert unmarked_texts(source) == [
        (4, "Call model.eval() first."),
        (4, "f'{obs} came back'"),
        (5, "_(f'{case}'): build the text outside _(), never inside"),
        (5, "a tensor"),
        (8, "Create self.fc1 first."),
    ]


def test_catalogs_command_reports_drift(tmp_path: Path) -> None:
    from grader.frontends import cli

    assert cli.main(["catalogs", "--check"]) == 0


def test_the_notebook_finds_the_hint_and_the_cell_in_chinese() -> None:
    from grader.engine.model import CheckResult, GradeResult
    from grader.frontends import notebook

    from grader.reporters import hints

    i18n.use_language("zh")
    detail = Message("scale_(t, 2.0)", "同一个张量对象", "另一个对象", "使用 tensor.mul_(factor)。")
    failed = CheckResult("ex01_tensors", "scale_in_place", "cpu", Outcome.FAILED, 0.0, 2.0, detail.render(), detail=detail)
    shown = hints.hint_text(GradeResult("notebook", (failed,)), "ex01_tensors", 1, 'hint("ex01_tensors", {level})')
    assert shown.splitlines()[1] == "使用 tensor.mul_(factor)。"
    assert 'hint("ex01_tensors", 2)' in shown
    error = CheckResult("ex01_tensors", "scale_in_place", None, Outcome.ERROR, 0.0, 2.0,
                        "NameError: x\n  位于 123.py 第 4 行，scale_ 中")
    moved = notebook._in_cells(error, {"123.py": notebook._("cell [{number}]").format(number=7)})
    assert moved.message.endswith("位于 单元格 [7] 第 4 行，scale_ 中")
    missing = CheckResult("ex01_tensors", "scale_in_place", None, Outcome.ERROR, 0.0, 2.0, "ex01_tensors.py 中没有 scale_。")
    assert notebook._in_cells(missing, {}).message == "这个 notebook 还没有定义 scale_。"


@pytest.mark.slow
def test_a_notebook_kernel_with_grader_lang_zh_shows_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat

    import notebook_samples
    from test_notebook_kernel import NOTEBOOKS, execute, outputs

    monkeypatch.setenv("GRADER_LANG", "zh")  # the kernel inherits the environment, as from `GRADER_LANG=zh jupyter lab`
    notebook = notebook_samples.reference("ex01_tensors")
    notebook.cells[-1:-1] = [
        nbformat.v4.new_code_cell("def scale_(tensor, factor):\n    return tensor * factor"),
        nbformat.v4.new_code_cell("def to_numpy_shared(tensor):\n    x = 1\n    return tensor.numpy() / undefined_name"),
    ]
    notebook.cells.append(nbformat.v4.new_code_cell('hint("ex01_tensors")'))
    done = execute(notebook.cells, NOTEBOOKS)
    shown = outputs(done[-2])
    assert "期望：返回同一个张量对象" in shown and "实际：另一个对象" in shown and "<th" in shown and "状态" in shown
    assert "失败" in shown and "进行中" in shown and "总计" in shown
    assert f"位于 单元格 [{done[-3].execution_count}] 第 3 行" in shown
    assert "提示 1/3" in outputs(done[-1]) and "原地修改传入的张量" in outputs(done[-1])


GLOSSARY = KIT / "grader" / "locale" / "zh" / "glossary.tsv"


def _glossary() -> list[tuple[str, str, list[str]]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            english, chinese, rejected = (line.split("\t") + ["", ""])[:3]
            rows.append((english, chinese, [r for r in rejected.split(",") if r]))
    return rows


def _as_prose(english: str) -> re.Pattern[str]:
    """The term as a word of prose, not inside code (optimizer.step(), checkpoint["key"], {hint}, python -m grader)."""
    idiom = r"(?! of\b)" if english == "in place" else ""  # "in place of" is "instead of", not in-place
    return re.compile(r"(?<![\w.`_{\"'])(?<!-m )" + re.escape(english) + r"s?(?![\w(=`_.\[\"'])" + idiom, re.IGNORECASE)


@pytest.mark.parametrize("domain", [i18n.DOMAIN, "notebooks"])
def test_the_chinese_catalogs_follow_the_glossary(domain: str) -> None:
    broken = []
    for english, chinese, rejected in _glossary():
        term = _as_prose(english) if english != "*" else None
        for message in _catalog("zh", domain):
            if not message.id or not isinstance(message.string, str) or not message.string:
                continue
            if term is None:
                found = [r for r in rejected if r in message.string]
            elif term.search(str(message.id)):
                found = [r for r in rejected if r in message.string.replace(chinese, "")]
                found += [] if chinese in message.string else [f"no {chinese}"]
            else:
                continue
            if found:
                broken.append(f"{english}: {message.id[:70]!r} -> {message.string[:70]!r} ({', '.join(found)})")
    assert broken == []


def test_the_glossary_names_one_chinese_term_per_english_term() -> None:
    rows = [row for row in _glossary() if row[0] != "*"]
    assert len({english for english, _chinese, _rejected in rows}) == len(rows)
    assert all(chinese and chinese not in rejected for _english, chinese, rejected in rows)
    assert "测试数据" in dict((e, r) for e, _c, r in rows)["fixture"]  # a fixture is never "test data"


def test_a_percent_sign_in_prose_is_not_a_format_for_msgfmt() -> None:
    import shutil
    import subprocess

    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="zh")
    catalog.add("a normal distribution: {p:.1f}% of the weights", "正态分布：{p:.1f}% 的权重")
    catalog.add("The grader could not grade all of it: %(error)s", "评分器没能为全部内容评分：%(error)s")
    text = catalogs.po_bytes(catalog).decode()
    assert text.count("python-format") == 1 and "%(error)s" in text.split("python-format")[1]
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (GNU gettext) is not installed; .ci/run installs it")
    for po in sorted((KIT / "grader" / "locale").glob("*/LC_MESSAGES/*.po")):
        run = subprocess.run(["msgfmt", "--check-format", "--output-file=/dev/null", str(po)], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
