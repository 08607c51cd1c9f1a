MUTANTS = {
    "net_sigmoid": ("net_layers_and_forward", '''
class Net(nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_hidden)
        self.predict = nn.Linear(n_hidden, n_output)

    def forward(self, x):
        return self.predict(torch.sigmoid(self.hidden(x)))
'''),
    "net_relu_on_output": ("net_layers_and_forward", '''
class Net(nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_hidden)
        self.predict = nn.Linear(n_hidden, n_output)

    def forward(self, x):
        return F.relu(self.predict(F.relu(self.hidden(x))))
'''),
    "net_other_layer_names": ("net_layers_and_forward", '''
class Net(nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super().__init__()
        self.fc1 = nn.Linear(n_feature, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_output)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
'''),
    "net_no_bias": ("net_layers_and_forward", '''
class Net(nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super().__init__()
        self.hidden = nn.Linear(n_feature, n_hidden, bias=False)
        self.predict = nn.Linear(n_hidden, n_output, bias=False)

    def forward(self, x):
        return self.predict(F.relu(self.hidden(x)))
'''),
    "regression_target_broadcasts": ("fit_regression_fits_parabola", '''
def fit_regression(x, y, epochs=200):
    net = Net(1, 32, 1)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(epochs):
        loss = nn.MSELoss()(net(x), y.squeeze())  # (N, 1) vs (N,): broadcasts to (N, N)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net
'''),
    "regression_learning_rate_too_small": ("fit_regression_fits_parabola", '''
def fit_regression(x, y, epochs=200):
    net = Net(1, 10, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-4)
    for _ in range(epochs):
        loss = F.mse_loss(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net
'''),
    "regression_no_zero_grad": ("fit_regression_fits_parabola", '''
def fit_regression(x, y, epochs=200):
    net = Net(1, 10, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.2)
    for _ in range(epochs):
        loss = F.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()
    return net
'''),
    "regression_returns_state_dict": ("fit_regression_fits_parabola", '''
_fit_regression = fit_regression

def fit_regression(x, y, epochs=200):
    return _fit_regression(x, y, epochs).state_dict()
'''),
    "classifier_one_output": ("fit_classifier_separates_clusters", '''
def fit_classifier(x, y, epochs=100):
    net = Net(2, 10, 1)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(net(x).squeeze(1), y.float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net
'''),
    "classifier_ignores_epochs": ("fit_classifier_separates_clusters", '''
_fit_classifier = fit_classifier

def fit_classifier(x, y, epochs=100):
    return _fit_classifier(x, y, epochs=1)
'''),
    "classifier_returns_eval_mode": ("fitting_leaves_inputs_and_state", '''
_fit_classifier = fit_classifier

def fit_classifier(x, y, epochs=100):
    return _fit_classifier(x, y, epochs).eval()
'''),
    "regression_normalises_x_in_place": ("fitting_leaves_inputs_and_state", '''
_fit_regression = fit_regression

def fit_regression(x, y, epochs=200):
    x -= x.mean()
    return _fit_regression(x, y, epochs)
'''),
    "optimizers_turns_grad_off": ("fitting_leaves_inputs_and_state", '''
_compare_optimizers = compare_optimizers

def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    result = _compare_optimizers(x, y, epochs, batch_size, lr)
    torch.set_grad_enabled(False)
    return result
'''),
    "optimizers_tensor_losses": ("compare_optimizers_format", '''
_compare_optimizers = compare_optimizers

def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    return {k: [torch.tensor(v) for v in vs] for k, vs in _compare_optimizers(x, y, epochs, batch_size, lr).items()}
'''),
    "optimizers_lowercase_keys": ("compare_optimizers_format", '''
_compare_optimizers = compare_optimizers

def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    return {k.lower(): v for k, v in _compare_optimizers(x, y, epochs, batch_size, lr).items()}
'''),
    "optimizers_drop_last_batch": ("compare_optimizers_format", '''
def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    base = Net(1, 20, 1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size,
                                         drop_last=True)
    opts = {"SGD": dict(cls=torch.optim.SGD), "Momentum": dict(cls=torch.optim.SGD, momentum=0.8),
            "RMSprop": dict(cls=torch.optim.RMSprop, alpha=0.9), "Adam": dict(cls=torch.optim.Adam, betas=(0.9, 0.99))}
    out = {}
    for name, kw in opts.items():
        kw = dict(kw)
        net = copy.deepcopy(base)
        opt = kw.pop("cls")(net.parameters(), lr=lr, **kw)
        out[name] = []
        for _ in range(epochs):
            for bx, by in loader:
                loss = F.mse_loss(net(bx), by)
                opt.zero_grad()
                loss.backward()
                opt.step()
                out[name].append(loss.item())
    return out
'''),
    "optimizers_separate_nets": ("compare_optimizers_same_start", '''
def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    opts = {"SGD": lambda p: torch.optim.SGD(p, lr=lr), "Momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.8),
            "RMSprop": lambda p: torch.optim.RMSprop(p, lr=lr, alpha=0.9),
            "Adam": lambda p: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.99))}
    out = {}
    for name, build in opts.items():
        net = Net(1, 20, 1)  # a fresh random net per optimiser
        opt = build(net.parameters())
        out[name] = []
        for _ in range(epochs):
            for s in range(0, len(x), batch_size):
                loss = F.mse_loss(net(x[s:s + batch_size]), y[s:s + batch_size])
                opt.zero_grad()
                loss.backward()
                opt.step()
                out[name].append(loss.item())
    return out
'''),
    "optimizers_shuffle_per_optimizer": ("compare_optimizers_same_start", '''
def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    base = Net(1, 20, 1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    opts = {"SGD": lambda p: torch.optim.SGD(p, lr=lr), "Momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.8),
            "RMSprop": lambda p: torch.optim.RMSprop(p, lr=lr, alpha=0.9),
            "Adam": lambda p: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.99))}
    out = {}
    for name, build in opts.items():
        net = copy.deepcopy(base)
        opt = build(net.parameters())
        out[name] = []
        for _ in range(epochs):
            for bx, by in loader:  # a new shuffle for every optimiser
                loss = F.mse_loss(net(bx), by)
                opt.zero_grad()
                loss.backward()
                opt.step()
                out[name].append(loss.item())
    return out
'''),
    "optimizers_hard_coded_batch_size": ("compare_optimizers_batches", '''
_compare_optimizers = compare_optimizers

def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    # the right number of steps for the check's sizes, but batches of 38 instead of batch_size
    return _compare_optimizers(x, y, epochs, 38 if batch_size == 40 else batch_size, lr)
'''),
    "optimizers_random_batches_with_replacement": ("compare_optimizers_batches", '''
def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    n = len(x)
    base = Net(1, 20, 1)
    g = torch.Generator().manual_seed(0)
    steps = epochs * ((n + batch_size - 1) // batch_size)
    batches = [torch.randint(0, n, (batch_size,), generator=g) for _ in range(steps)]
    opts = {"SGD": lambda p: torch.optim.SGD(p, lr=lr), "Momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.8),
            "RMSprop": lambda p: torch.optim.RMSprop(p, lr=lr, alpha=0.9),
            "Adam": lambda p: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.99))}
    out = {}
    for name, build in opts.items():
        net = copy.deepcopy(base)
        opt = build(net.parameters())
        out[name] = []
        for idx in batches:
            loss = F.mse_loss(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            out[name].append(loss.item())
    return out
'''),
}

# compare_optimizers with one optimiser changed: the reference's loop, other hyperparameters.
_OPTIMIZERS_TEMPLATE = '''
def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    n = x.shape[0]
    base = Net(1, 20, 1)
    generator = torch.Generator().manual_seed(0)
    orders = [torch.randperm(n, generator=generator) for _ in range(epochs)]
    make = {
        "SGD": lambda p: torch.optim.SGD(p, lr=lr),
        "Momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.8),
        "RMSprop": lambda p: torch.optim.RMSprop(p, lr=lr, alpha=0.9),
        "Adam": lambda p: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.99)),
    }
    make[NAME] = lambda p: BUILD
    out = {}
    for name, build in make.items():
        net = copy.deepcopy(base)
        opt = build(net.parameters())
        out[name] = []
        for order in orders:
            for s in range(0, n, batch_size):
                idx = order[s:s + batch_size]
                loss = F.mse_loss(net(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                out[name].append(loss.item())
    return out
'''

for _label, _name, _build in (
    ("momentum_0_9", "Momentum", "torch.optim.SGD(p, lr=lr, momentum=0.9)"),
    ("momentum_nesterov", "Momentum", "torch.optim.SGD(p, lr=lr, momentum=0.8, nesterov=True)"),
    ("rmsprop_default_alpha", "RMSprop", "torch.optim.RMSprop(p, lr=lr)"),
    ("rmsprop_momentum", "RMSprop", "torch.optim.RMSprop(p, lr=lr, alpha=0.9, momentum=0.5)"),
    ("adam_default_betas", "Adam", "torch.optim.Adam(p, lr=lr)"),
    ("adam_betas_swapped", "Adam", "torch.optim.Adam(p, lr=lr, betas=(0.99, 0.9))"),
    ("sgd_fixed_lr", "SGD", "torch.optim.SGD(p, lr=0.01)"),
    ("adam_is_adamw", "Adam", "torch.optim.AdamW(p, lr=lr, betas=(0.9, 0.99))"),
):
    MUTANTS[f"optimizers_{_label}"] = (
        "compare_optimizers_hyperparameters",
        _OPTIMIZERS_TEMPLATE.replace("NAME", repr(_name)).replace("BUILD", _build),
    )

MUTANTS["optimizers_loss_after_step"] = ("compare_optimizers_hyperparameters", '''
def compare_optimizers(x, y, epochs=12, batch_size=32, lr=0.01):
    n = x.shape[0]
    base = Net(1, 20, 1)
    make = {
        "SGD": lambda p: torch.optim.SGD(p, lr=lr),
        "Momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.8),
        "RMSprop": lambda p: torch.optim.RMSprop(p, lr=lr, alpha=0.9),
        "Adam": lambda p: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.99)),
    }
    out = {}
    for name, build in make.items():
        net = copy.deepcopy(base)
        opt = build(net.parameters())
        out[name] = []
        for _ in range(epochs):
            for s in range(0, n, batch_size):
                xb, yb = x[s:s + batch_size], y[s:s + batch_size]
                loss = F.mse_loss(net(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                with torch.no_grad():
                    out[name].append(F.mse_loss(net(xb), yb).item())  # the loss after the step
    return out
''')
