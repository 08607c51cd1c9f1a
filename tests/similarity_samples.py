"""Honest and copied submissions of ex03, ex05 and ex12, for calibrating and testing the similarity section.

Each honest student wrote every solution block their own way (the reference solution is one more
honest student); each copier took another student's files and disguised them: names renamed,
comments changed, blank lines moved, or only some exercises copied. ``build(root)`` writes one
folder per student; ``HONEST_PAIRS`` and ``COPIED_PAIRS`` say which pairs must (not) be flagged.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from grader.authoring.stubs import make_stub

KIT = Path(__file__).resolve().parents[1]
EXERCISES = ("ex03_sgd", "ex05_dropout", "ex12_losses")

# Per student and exercise: the body of each "# BEGIN SOLUTION" block, in order (indented as in the file).
HONEST: dict[str, dict[str, list[str]]] = {
    "kim": {
        "ex03_sgd": [
            """
    with torch.no_grad():
        for param in params:
            if param.grad is not None:
                param -= lr * param.grad
""", """
        self.weight = nn.Parameter(torch.tensor([0.5]))
        self.bias = nn.Parameter(torch.tensor([0.0]))
""", """
        return self.weight * x + self.bias
""", """
    inputs = x.view(-1)
    targets = y.view(-1)
    model = LinearModel().to(inputs.device)
    step = 0.25 / (1.0 + (inputs * inputs).mean().item())
    for epoch in range(epochs):
        predictions = model(inputs)
        loss = torch.mean((predictions - targets) ** 2)
        for p in model.parameters():
            p.grad = None
        loss.backward()
        sgd_step_(model.parameters(), step)
    return model
"""],
        "ex05_dropout": [
            """
        self.input_size, self.output_size, self.drop_p = input_size, output_size, drop_p
        layers = []
        previous = input_size
        for width in hidden_layers:
            layers.append(nn.Linear(previous, width))
            previous = width
        self.hidden_layers = nn.ModuleList(layers)
        self.output = nn.Linear(previous, output_size)
        self.dropout = nn.Dropout(drop_p)
""", """
        out = x
        for linear in self.hidden_layers:
            out = self.dropout(torch.relu(linear(out)))
        out = self.output(out)
        return torch.log_softmax(out, dim=1)
"""],
        "ex12_losses": [
            """
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_norm = shifted.exp().sum(dim=1).log()
    picked = shifted[torch.arange(len(target)), target]
    return (log_norm - picked).mean()
""", """
    logp = torch.log_softmax(logits, dim=1)
    nll = -logp[torch.arange(logits.shape[0]), target]
    w = weight[target]
    return (w * nll).sum() / w.sum()
""", """
    logp = torch.log_softmax(logits, dim=1)[torch.arange(logits.shape[0]), target]
    p = torch.exp(logp)
    return torch.mean(-(1 - p).pow(gamma) * logp)
"""],
    },
    "lee": {
        "ex03_sgd": [
            """
    for t in params:
        if t.grad is None:
            continue
        with torch.no_grad():
            t.add_(t.grad, alpha=-lr)
""", """
        start = torch.zeros(2)
        self.weight = nn.Parameter(start[:1].clone())
        self.bias = nn.Parameter(start[1:].clone())
""", """
        return torch.addcmul(self.bias, x, self.weight)
""", """
    xs, ys = x.flatten(), y.flatten()
    net = LinearModel()
    net.to(xs.device)
    scale = float(xs.square().mean()) + 1
    for i in range(epochs):
        net.zero_grad()
        err = net(xs) - ys
        (err * err).mean().backward()
        sgd_step_(net.parameters(), 0.5 / scale)
    return net
"""],
        "ex05_dropout": [
            """
        self.input_size = input_size
        self.output_size = output_size
        self.drop_p = drop_p
        dims = [input_size] + list(hidden_layers)
        self.hidden_layers = nn.ModuleList([nn.Linear(dims[i], dims[i + 1]) for i in range(len(dims) - 1)])
        self.output = nn.Linear(dims[-1], output_size)
        self.dropout = nn.Dropout(p=drop_p)
""", """
        for hidden in self.hidden_layers:
            x = F.relu(hidden(x))
            x = self.dropout(x)
        x = self.output(x)
        return F.log_softmax(x, dim=-1)
"""],
        "ex12_losses": [
            """
    lse = torch.logsumexp(logits, 1)
    correct = logits.gather(1, target[:, None])[:, 0]
    return torch.mean(lse - correct)
""", """
    per_sample = cross_entropy_terms(logits, target)
    weights = weight.gather(0, target)
    return torch.sum(weights * per_sample) / torch.sum(weights)


def cross_entropy_terms(logits, target):
    return torch.logsumexp(logits, 1) - logits.gather(1, target[:, None])[:, 0]
""", """
    ce = cross_entropy_terms(logits, target)
    prob = torch.exp(-ce)
    return ((1.0 - prob) ** gamma * ce).mean()
"""],
    },
    "max": {
        "ex03_sgd": [
            """
    params = list(params)
    with torch.no_grad():
        for index in range(len(params)):
            gradient = params[index].grad
            if gradient is not None:
                update = gradient * lr
                params[index].copy_(params[index] - update)
""", """
        w = torch.randn(1)
        b = torch.randn(1)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(b)
""", """
        y = x * self.weight
        y = y + self.bias
        return y
""", """
    x = x.reshape(x.shape[0])
    y = y.reshape(y.shape[0])
    model = LinearModel()
    model = model.to(device=x.device)
    mean_square = torch.mean(x ** 2).item()
    learning_rate = 1.0 / (2.0 * (mean_square + 1.0))
    count = 0
    while count < epochs:
        model.zero_grad()
        output = model(x)
        difference = output - y
        loss = torch.mean(difference ** 2)
        loss.backward()
        sgd_step_(model.parameters(), learning_rate)
        count += 1
    return model
"""],
        "ex05_dropout": [
            """
        self.input_size = input_size
        self.output_size = output_size
        self.drop_p = drop_p
        self.hidden_layers = nn.ModuleList()
        if len(hidden_layers) > 0:
            self.hidden_layers.append(nn.Linear(input_size, hidden_layers[0]))
            for a, b in zip(hidden_layers[:-1], hidden_layers[1:]):
                self.hidden_layers.append(nn.Linear(a, b))
            last = hidden_layers[-1]
        else:
            last = input_size
        self.output = nn.Linear(last, output_size)
        self.dropout = nn.Dropout(p=drop_p)
""", """
        h = x
        for i, fc in enumerate(self.hidden_layers):
            h = fc(h)
            h = F.relu(h)
            h = self.dropout(h)
        logits = self.output(h)
        return logits - torch.logsumexp(logits, dim=1, keepdim=True)
"""],
        "ex12_losses": [
            """
    n = logits.shape[0]
    m, _ = torch.max(logits, dim=1, keepdim=True)
    log_z = m.squeeze(1) + torch.log(torch.sum(torch.exp(logits - m), dim=1))
    return torch.mean(log_z - logits[torch.arange(n), target])
""", """
    n = logits.shape[0]
    log_z = torch.logsumexp(logits, dim=1)
    nll = log_z - logits[torch.arange(n), target]
    class_w = weight[target]
    return torch.sum(class_w * nll) / torch.sum(class_w)
""", """
    log_softmax = F.log_softmax(logits, dim=1)
    log_p_true = log_softmax[torch.arange(logits.shape[0]), target]
    p_true = torch.exp(log_p_true)
    modulating = (1 - p_true) ** gamma
    return -(modulating * log_p_true).mean()
"""],
    },
}

# Copiers: whose files, which exercises, and how they were disguised (names renamed, comments and blank lines).
RENAMES = {"param": "q", "inputs": "feats", "targets": "labels", "step": "alpha", "predictions": "pred",
           "layers": "blocks", "previous": "prev_dim", "width": "w_out", "out": "hidden", "linear": "lin",
           "shifted": "z", "log_norm": "lse", "picked": "chosen", "logp": "log_prob", "nll": "neg",
           "xs": "u", "ys": "v", "net": "mdl", "scale": "s", "err": "e", "dims": "sizes", "hidden": "hl",
           "lse": "log_sum", "correct": "true_score", "ce": "xent", "prob": "pt", "model": "regressor",
           "index": "k", "gradient": "g", "update": "delta", "h": "act", "fc": "layer_fc", "n": "count_n",
           "log_z": "norm", "class_w": "cw", "modulating": "factor"}
COPIERS = {
    "kim_copy": ("kim", EXERCISES),
    "lee_copy": ("lee", EXERCISES),
    "max_copy": ("max", ("ex03_sgd", "ex05_dropout")),  # left ex12 a stub
    "lee_edit": ("lee", EXERCISES),  # and put a line of their own after every third line of code
}
EDITED = {"lee_edit"}
STUDENTS = ("reference", *HONEST, *COPIERS)


def origin(student: str) -> str:
    """Who wrote the code a student handed in."""
    return COPIERS[student][0] if student in COPIERS else student


PAIRS = list(itertools.combinations(STUDENTS, 2))
COPIED_PAIRS = {pair for pair in PAIRS if origin(pair[0]) == origin(pair[1])}
HONEST_PAIRS = set(PAIRS) - COPIED_PAIRS

_BLOCK = re.compile(r"^([ \t]*)# BEGIN SOLUTION\n.*?^[ \t]*# END SOLUTION\n", re.M | re.S)


def solution(exercise: str) -> str:
    return (KIT / "solutions" / f"{exercise}.py").read_text()


def write_in(exercise: str, bodies: list[str]) -> str:
    """The solution file with each solution block replaced by a body of ``bodies``, in order."""
    given = iter(bodies)
    return _BLOCK.sub(lambda m: next(given).lstrip("\n"), solution(exercise))


def disguise(code: str) -> str:
    """A copy made to look different: every local name renamed, comments changed, blank lines moved."""
    for old, new in RENAMES.items():
        code = re.sub(rf"(?<![\w.]){old}\b", new, code)
    lines = []
    for number, line in enumerate(code.splitlines()):
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        lines.append(line)
        if stripped.endswith(":") and number % 2:
            lines.append(" " * (len(line) - len(line.lstrip()) + 4) + "# my own approach here")
        if stripped.startswith("return") and number % 3 == 0:
            lines.append("")
    return "\n".join(lines) + "\n"


def files(student: str) -> dict[str, str]:
    """exercise -> code of one student of :data:`STUDENTS`."""
    if student == "reference":
        return {e: solution(e) for e in EXERCISES}
    if student in HONEST:
        return {e: write_in(e, HONEST[student][e]) for e in EXERCISES}
    source, copied = COPIERS[student]
    theirs = files(source)
    edit = interleave if student in EDITED else (lambda code: code)
    return {e: edit(disguise(theirs[e])) if e in copied else make_stub(solution(e), e) for e in EXERCISES}


def interleave(code: str) -> str:
    """After every third line of code inside a function, a line of one's own (a print, at that line's indent)."""
    lines, in_docstring = [], False
    for number, line in enumerate(code.splitlines()):
        lines.append(line)
        if line.count('"""') % 2:
            in_docstring = not in_docstring
            continue
        stripped = line.strip()
        body = line.startswith("    ") and stripped and not stripped.endswith((":", ",", "(", "[", ")"))
        if body and not in_docstring and number % 3 == 0 and not stripped.startswith(("return", "#")):
            lines.append(line[: len(line) - len(line.lstrip())] + f"print('step {number}')")
    return "\n".join(lines) + "\n"


def build(root: Path) -> dict[str, Path]:
    """One submission folder per student under ``root``."""
    folders = {}
    for student in STUDENTS:
        folder = root / student
        folder.mkdir(parents=True)
        for exercise, code in files(student).items():
            (folder / f"{exercise}.py").write_text(code)
        folders[student] = folder
    return folders
