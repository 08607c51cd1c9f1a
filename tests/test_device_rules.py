"""The two device=None rules and weights_only, judged on a machine without CUDA.

Correct code of any style keeps its marks on the checks that offer CUDA
(grader.checks.devices); wrong code is in tests/mutants/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from grader.checks import registry
from grader.checks.devices import offer_cuda
from grader.engine.api import Exercise
from grader.engine.model import Outcome
from grader.sandbox import integrity
from grader.sandbox.inprocess import grade_in_process

VALIDATION = '''
def validation(model, loader, criterion, device=None):
    device = torch.device(device) if device is not None else next(iter(model.parameters())).device
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.reshape(len(images), -1).to(device), labels.to(device)
            output = model.forward(images)
            total += criterion(output, labels).item() * len(labels)
            correct += int((output.argmax(1) == labels).sum())
            count += len(labels)
    model.train(was_training)
    return total / count, correct / count
'''

EVALUATE = '''
def evaluate_accuracy(data_iter, net, device=None):
    if device is None:
        device = str(next(net.parameters()).device)
    was_training = net.training
    net.eval()
    correct = count = 0
    with torch.inference_mode():
        for inputs, labels in data_iter:
            correct += (net(inputs.to(device)).argmax(dim=1) == labels.to(device)).sum().item()
            count += labels.numel()
    net.train(was_training)
    return correct / count
'''

TRAIN = '''
_reference_validation = validation
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    device = next(model.parameters()).device if device is None else torch.device(device)
    model = model.to(device)
    history = []
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.view(images.size(0), -1).to(device)
            labels = labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * images.size(0)
            seen += images.size(0)
        test_loss, test_accuracy = _reference_validation(model, testloader, criterion, device)
        history.append({"epoch": epoch + 1, "train_loss": total / seen, "test_loss": test_loss,
                        "test_accuracy": test_accuracy})
    model.train()
    return history
'''

TRAIN_EPOCH = '''
def train_epoch(model, loader, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    total, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * labels.size(0)
        count += labels.size(0)
    return total / count
'''

TRAIN_STEP = '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    model.train()
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    return float(loss.detach())
'''

FIT_CUDA_CALL = '''
_reference_fit_lenet = fit_lenet
def fit_lenet(trainloader, testloader, epochs=2, device=None):
    if device is None and torch.cuda.is_available():
        LeNet().cuda()  # only under the None rule: asks for CUDA
    return _reference_fit_lenet(trainloader, testloader, epochs, "cpu" if device is None else device)
'''

FIT_ACCELERATOR = '''
_reference_fit_lenet = fit_lenet
def fit_lenet(trainloader, testloader, epochs=2, device=None):
    if device is None:
        device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"
    return _reference_fit_lenet(trainloader, testloader, epochs, device)
'''

FIT_DEVICE_COUNT = '''
_reference_fit_lenet = fit_lenet
def fit_lenet(trainloader, testloader, epochs=2, device=None):
    if device is None:
        device = "cuda:0" if torch.cuda.device_count() > 0 else "cpu"
    return _reference_fit_lenet(trainloader, testloader, epochs, torch.device(device))
'''

LOAD = '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    checkpoint = torch.load(path, weights_only=True, map_location={MAP})
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''

TRAIN_OTHER_STYLES = """
_reference_validation = validation
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    device = torch.device(device) if device is not None else next(model.parameters()).device
    history = []
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.flatten(1).to(device=device)
            labels = labels.to(device, torch.int64)
            if epoch == 0 and seen == 0:
                {MOVE}
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            seen += len(labels)
        test_loss, test_accuracy = _reference_validation(model, testloader, criterion, device)
        history.append(dict(epoch=epoch + 1, train_loss=total / seen, test_loss=test_loss,
                            test_accuracy=test_accuracy))
    model.to(device).train()
    return history
"""
MODEL_MOVES = {  # every one puts the model on `device`, after the first batch has moved
    "to_device_keyword": "model.to(device=device)",
    "to_device_and_dtype": "model.to(device, torch.float32)",
    "cuda_under_the_right_rule": "model.cuda() if device.type == 'cuda' else model.cpu()",
    "parameter_by_parameter": "[setattr(p, 'data', p.data.to(device)) for p in model.parameters()]",
    "torch_device_of_a_str": "model.to(torch.device(str(device)))",
}

TRAIN_EPOCH_OTHER_STYLE = """
def train_epoch(model, loader, criterion, optimizer, device=None):
    device = next(model.parameters()).device if device is None else device
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        model.to(device=device)  # after the batch, every time: a no-op once it is there
        optimizer.zero_grad()
        loss = criterion(model.forward(images), labels)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(labels)
        count += len(labels)
    return total / count
"""

TRAIN_STEP_INPUTS_FIRST = """
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = torch.device(device) if device is not None else next(model.parameters()).device
    inputs, labels = inputs.to(device), labels.to(device)
    if device.type == "cuda":
        model.cuda(device.index)
    else:
        model.to(device)
    model.train()
    optimizer.zero_grad()
    loss = criterion(model(inputs), labels)
    loss.backward()
    optimizer.step()
    return loss.item()
"""

FIT_OPTIMIZER_FIRST = """
def fit_lenet(trainloader, testloader, epochs=2, device=None):
    device = torch.device(device if device is not None else "cuda" if torch.cuda.is_available() else "cpu")
    model = LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # before the move: Module.to moves in place
    model = model.to(device=device)
    criterion = nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for images, labels in trainloader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            count += len(labels)
        model.eval()
        test_total, correct, test_count = 0.0, 0, 0
        with torch.no_grad():
            for images, labels in testloader:
                images, labels = images.to(device), labels.to(device)
                logits = model(images)
                test_total += criterion(logits, labels).item() * len(labels)
                correct += int((logits.argmax(1) == labels).sum())
                test_count += len(labels)
        history.append({"epoch": epoch, "train_loss": total / count, "test_loss": test_total / test_count,
                        "test_accuracy": correct / test_count})
    model.train()
    return model, history
"""

LOAD_MOVED_BEFORE_WEIGHTS = """
def load_checkpoint(path, device="cpu"):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu") if device is None else torch.device(device)
    checkpoint = torch.load(path, map_location=str(device), weights_only=True)
    for key in ("input_size", "output_size", "hidden_layers", "state_dict"):
        if key not in checkpoint:
            raise KeyError(key)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5)).to(device=device)
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return model
"""

CORRECT = {
    "validation_flattens_and_moves_inputs": ("ex06_validation", VALIDATION),
    "evaluate_accuracy_inputs_as_they_come": ("ex06_validation", EVALUATE),
    "train_device_and_mode": ("ex06_validation", TRAIN),
    "train_epoch_device_and_mode": ("ex10_cifar", TRAIN_EPOCH),
    "train_step_device_and_mode": ("ex11_transfer", TRAIN_STEP),
}
OTHER_STYLES = {  # (exercise, source, checks it must pass)
    **{f"train_{name}": ("ex06_validation", TRAIN_OTHER_STYLES.replace("{MOVE}", move),
                         ("train_device_and_mode", "train_loss_is_per_sample_mean", "train_history_format"))
       for name, move in MODEL_MOVES.items()},
    "train_epoch_moves_model_after_batches": ("ex10_cifar", TRAIN_EPOCH_OTHER_STYLE,
                                              ("train_epoch_device_and_mode", "train_epoch_returns_mean_loss_per_sample")),
    "train_step_inputs_first_then_cuda": ("ex11_transfer", TRAIN_STEP_INPUTS_FIRST,
                                          ("train_step_device_and_mode", "train_step_loss_and_update")),
    "fit_lenet_optimizer_before_move": ("ex09_lenet", FIT_OPTIMIZER_FIRST,
                                        ("fit_lenet_device_and_mode", "fit_lenet_returns_model_and_history")),
    "load_checkpoint_moves_before_weights": ("ex07_checkpoint", LOAD_MOVED_BEFORE_WEIGHTS,
                                             ("load_checkpoint_device_and_eval_mode", "load_checkpoint_restores_network")),
}
FIT_VARIANTS = {"cuda_call_under_none": FIT_CUDA_CALL, "accelerator": FIT_ACCELERATOR,
                "device_count": FIT_DEVICE_COUNT}
MAP_LOCATIONS = {
    "str": "str(device)",
    "device": "device",
    "callable": "lambda storage, location: storage.cuda() if device.type == 'cuda' else storage",
    "dict": "{'cpu': str(device), 'cuda:0': str(device)}",
    "cpu_then_to": "'cpu'",
}
LOAD_CHECKS = ("load_checkpoint_device_and_eval_mode", "load_checkpoint_refuses_pickled_code",
               "load_checkpoint_restores_network", "load_checkpoint_cuda_saved_file")


def _grade(submission: Path, exercise: str, source: str, checks: tuple[str, ...]) -> list:
    path = submission / f"{exercise}.py"
    path.write_text(path.read_text() + "\n\n" + source)
    base = registry.public_exercises()[exercise]
    chosen = [c for c in base.checks if c.name in checks]
    assert len(chosen) == len(checks)
    result = grade_in_process(submission, {exercise: Exercise(exercise, base.stand_ins, chosen)})
    ran = [r for r in result.results if r.outcome is not Outcome.SKIPPED]
    assert ran
    return ran


def _assert_passed(results: list) -> None:
    failed = [f"{r.check}[{r.device}]: {r.message}" for r in results if r.outcome is not Outcome.PASSED]
    assert not failed, "\n\n".join(failed)


@pytest.mark.parametrize("check", sorted(CORRECT))
def test_model_rule_written_another_way_keeps_full_marks(solutions_copy: Path, check: str) -> None:
    exercise, source = CORRECT[check]
    _assert_passed(_grade(solutions_copy, exercise, source, (check,)))


@pytest.mark.parametrize("variant", sorted(OTHER_STYLES))
def test_explicit_devices_written_another_way_keep_full_marks(solutions_copy: Path, variant: str) -> None:
    exercise, source, checks = OTHER_STYLES[variant]
    _assert_passed(_grade(solutions_copy, exercise, source, checks))


@pytest.mark.parametrize("variant", sorted(FIT_VARIANTS))
def test_cuda_rule_written_another_way_keeps_full_marks(solutions_copy: Path, variant: str) -> None:
    _assert_passed(_grade(solutions_copy, "ex09_lenet", FIT_VARIANTS[variant], ("fit_lenet_device_and_mode",)))


@pytest.mark.parametrize("map_location", sorted(MAP_LOCATIONS))
def test_load_checkpoint_with_any_map_location_keeps_full_marks(solutions_copy: Path, map_location: str) -> None:
    source = LOAD.replace("{MAP}", MAP_LOCATIONS[map_location])
    _assert_passed(_grade(solutions_copy, "ex07_checkpoint", source, LOAD_CHECKS))


def test_omitted_weights_only_fails_even_where_the_environment_forces_it(
    solutions_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TORCH_FORCE_WEIGHTS_ONLY_LOAD=1 on the grading machine must not rescue code that omits weights_only."""
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    source = LOAD.replace("weights_only=True, ", "").replace("{MAP}", "device")
    (result,) = _grade(solutions_copy, "ex07_checkpoint", source, ("load_checkpoint_refuses_pickled_code",))
    assert result.outcome is Outcome.FAILED
    assert "weights_only=True" in result.message and "no weights_only" in result.message
    assert os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] == "1"
    assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ


@pytest.mark.skipif(torch.cuda.is_available(), reason="pretends CUDA only where there is none")
def test_offer_cuda_puts_torch_back_even_when_the_code_raises() -> None:
    fingerprint = integrity.take()
    names = ("is_available", "device_count", "_lazy_init", "_exchange_device")
    before = {name: getattr(torch.cuda, name) for name in names}

    def broken() -> None:
        assert torch.cuda.is_available() and torch.cuda.device_count() == 1
        raise ValueError("the student's bug")

    with pytest.raises(ValueError, match="the student's bug"):
        offer_cuda(broken)
    assert {name: getattr(torch.cuda, name) for name in names} == before
    assert not torch.cuda.is_available()
    assert fingerprint.changed() == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="pretends CUDA only where there is none")
def test_offer_cuda_records_the_request_and_lets_torch_see_the_truth() -> None:
    model = torch.nn.Linear(2, 2)
    seen_by_torch = []

    def call() -> None:
        from torch.random import fork_rng  # torch's own code asks the real torch.cuda

        with fork_rng():
            seen_by_torch.append(torch.cuda.device_count())
        model.to("cuda" if torch.cuda.is_available() else "cpu")

    offered = offer_cuda(call)
    assert offered.pretended and offered.result is None
    assert len(offered.requests) == 1 and offered.requests[0].startswith("test_device_rules.py, line ")
    assert next(model.parameters()).device.type == "cpu"
    assert seen_by_torch == [1]  # asked from outside torch: pretended


def test_offer_cuda_just_calls_where_cuda_is_real(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    lazy_init = torch.cuda._lazy_init
    offered = offer_cuda(lambda: torch.cuda._lazy_init)
    assert offered.result is lazy_init and offered.requests == [] and not offered.pretended
