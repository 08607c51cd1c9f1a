"""Every failure explained: the stub's own raise is "not started", every exception gets the catalog's hints."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import torch

from grader.engine.api import raised_by_stub
from grader.engine.model import Outcome, Tag
from grader.sandbox.inprocess import grade_in_process
from grader.sandbox.known_errors import CATALOG, known

from conftest import SOLUTIONS


def _graded(folder: Path, exercise: str, old: str, new: str):
    shutil.copy(SOLUTIONS / f"{exercise}.py", folder)
    path = folder / f"{exercise}.py"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return {r.name: r for r in grade_in_process(folder, only=[exercise]).results}


def test_pytorchs_own_not_implemented_error_is_not_read_as_not_started(tmp_path: Path) -> None:
    # Copying a meta tensor to the CPU raises torch's NotImplementedError("Cannot copy out of meta tensor").
    results = _graded(tmp_path, "ex01_tensors", "    if not tensor.is_cpu:\n",
                      "    tensor = tensor.detach().to('cpu')\n    if not tensor.is_cpu:\n")
    result = results["ex01_tensors::to_numpy_rejects_other_devices[cpu]"]
    assert result.outcome is Outcome.FAILED
    assert "NotImplementedError" in result.message


def test_a_not_implemented_error_of_the_learners_own_making_elsewhere_is_an_error(tmp_path: Path) -> None:
    results = _graded(tmp_path, "ex01_tensors", "    tensor.mul_(factor)\n",
                      "    tensor.mul_(factor)\n    torch.empty(2, device='meta').cpu()\n")
    result = results["ex01_tensors::scale_in_place[cpu]"]
    assert result.outcome is Outcome.ERROR
    assert result.detail is not None and result.detail.hints


def test_the_stubs_own_raise_is_not_started(tmp_path: Path) -> None:
    results = _graded(tmp_path, "ex01_tensors", "    tensor.mul_(factor)\n",
                      "    raise NotImplementedError(\"write ex01_tensors.scale_\")\n")
    assert results["ex01_tensors::scale_in_place[cpu]"].outcome is Outcome.NOT_STARTED


def test_raised_by_stub_reads_the_message_and_the_raising_code() -> None:
    def stub() -> None:
        raise NotImplementedError("write ex99.stub")

    def from_torch() -> None:
        torch.empty(2, device="meta").cpu()

    def formatted(name: str) -> None:
        raise NotImplementedError(f"not yet {name}")

    caught = []
    for function in (stub, from_torch, lambda: formatted("x")):
        try:
            function()
        except NotImplementedError as exc:
            caught.append(raised_by_stub(exc))
    assert caught == [True, False, False]


def _raise(code: str) -> BaseException:
    try:
        exec(code, {"torch": torch, "nn": torch.nn})
    except Exception as exc:  # noqa: BLE001 - the exception is what is tested
        return exc
    raise AssertionError(f"{code} did not raise")


@pytest.mark.parametrize(("code", "entry"), [
    ("torch.ones(2, requires_grad=True).add_(1)", "in_place_on_leaf"),
    ("torch.ones(2, requires_grad=True).numpy()", "numpy_with_grad"),
    ("torch.nn.Linear(3, 2)(torch.ones(4, 5))", "matmul_shapes"),
    ("torch.ones(2, 3) + torch.ones(3, 2)", "broadcast_shapes"),
    ("torch.nn.Linear(3, 2)(torch.ones(4, 3, dtype=torch.float64))", "dtype"),
    ("torch.nn.Linear(3, 2).load_state_dict({'w': torch.ones(2)})", "state_dict_keys"),
    ("{'weights': 1}['model_state']", "checkpoint_key"),
    ("torch.ones(3)[5]", "index_out_of_range"),
    ("[torch.nn.Linear(1, 1)][2]", "index_out_of_range"),
    ("None.clone()", "none_grad"),
    ("p = torch.nn.Parameter(torch.ones(2)); p.grad.add_(1)", "none_grad"),
    ("torch.ones(2).sum().backward()", "no_grad_fn"),
    ("torch.empty(2, device='meta').cpu()", "not_implemented_by_torch"),
    ("torch.ones(2).to('gpu')", "unknown_device"),
    ("undefined_name", "name"),
])
def test_common_errors_map_to_their_catalog_entry(code: str, entry: str) -> None:
    assert known(_raise(code)).name == entry


def test_every_exception_gets_hints_and_device_errors_are_recognised() -> None:
    mismatch = RuntimeError("Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!")
    assert known(mismatch).name == "device_mismatch"
    assert known(OSError("disk full")).name == "any"
    assert all(entry.hints for entry in CATALOG)
    assert all(re.compile(entry.pattern) for entry in CATALOG)


def test_an_exception_in_the_learners_code_is_a_message_with_location_and_hints(tmp_path: Path) -> None:
    results = _graded(tmp_path, "ex01_tensors", "    tensor.mul_(factor)\n", "    tensor.mul_(factor)\n    [1, 2][5]\n")
    result = results["ex01_tensors::scale_in_place[cpu]"]
    assert result.outcome is Outcome.ERROR and result.tag is Tag.EXCEPTION
    assert result.detail is not None
    assert result.detail.got == "IndexError: list index out of range"
    assert re.fullmatch(r"at ex01_tensors\.py, line \d+, in scale_", result.detail.location)
    assert len(result.detail.hints) >= 2
    assert result.detail.hints[0] in result.message and result.detail.location in result.message


def test_one_cause_is_shown_in_full_once_and_the_others_point_at_it(tmp_path: Path) -> None:
    results = _graded(tmp_path, "ex05_dropout", "        for layer in self.hidden_layers:\n",
                      "        x = x.to('gpu')\n        for layer in self.hidden_layers:\n")
    failing = [r for r in results.values() if r.outcome is Outcome.ERROR]
    first, *others = failing
    assert len(others) >= 2
    assert first.same_as is None and "device string" in first.message
    for other in others:
        assert other.same_as == first.name
        assert other.message == f"Same error as {first.name} (see there)."
        assert other.detail is not None and other.detail.got == first.detail.got  # the data stays, for hint
