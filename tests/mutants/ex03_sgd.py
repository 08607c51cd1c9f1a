MUTANTS = {
    "sgd_consumes_generator_twice": ("sgd_step_matches_torch_sgd", '''
def sgd_step_(params, lr):
    if not any(p.grad is not None for p in params):
        return
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
'''),
    "sgd_wrong_sign": ("sgd_step_matches_torch_sgd", '''
def sgd_step_(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p += lr * p.grad
'''),
    "sgd_rebinds_loop_variable": ("sgd_step_matches_torch_sgd", '''
def sgd_step_(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p = p - lr * p.grad
'''),
    "sgd_without_no_grad": ("sgd_step_matches_torch_sgd", '''
def sgd_step_(params, lr):
    for p in params:
        if p.grad is not None:
            p.sub_(lr * p.grad)
'''),
    "sgd_crashes_on_missing_grad": ("sgd_step_skips_params_without_grad", '''
def sgd_step_(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
'''),
    "sgd_gives_missing_grad_zeros": ("sgd_step_skips_params_without_grad", '''
def sgd_step_(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            p -= lr * p.grad
'''),
    "sgd_replaces_data": ("sgd_step_updates_in_place_without_autograd", '''
def sgd_step_(params, lr):
    for p in params:
        if p.grad is not None:
            p.data = p.data - lr * p.grad
'''),
    "sgd_grad_mode_not_restored": ("sgd_step_updates_in_place_without_autograd", '''
def sgd_step_(params, lr):
    torch.set_grad_enabled(False)
    for p in params:
        if p.grad is not None:
            p.sub_(lr * p.grad)
'''),
    "sgd_detaches_parameters": ("sgd_step_updates_in_place_without_autograd", '''
def sgd_step_(params, lr):
    for p in params:
        if p.grad is not None:
            p.requires_grad_(False)
            p.sub_(lr * p.grad)
'''),
    "sgd_zeroes_grads": ("sgd_step_leaves_grads_alone", '''
def sgd_step_(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
                p.grad.zero_()
'''),
    "linear_plain_tensors": ("linear_model_has_two_scalar_parameters", '''
class LinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.randn(1, requires_grad=True)
        self.bias = torch.zeros(1, requires_grad=True)

    def forward(self, x):
        return x * self.weight + self.bias
'''),
    "linear_zero_dim_parameters": ("linear_model_has_two_scalar_parameters", '''
class LinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(()))
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x * self.weight + self.bias
'''),
    "linear_wraps_nn_linear": ("linear_model_has_two_scalar_parameters", '''
class LinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x.unsqueeze(-1)).squeeze(-1)
'''),
    "linear_extra_parameter": ("linear_model_has_two_scalar_parameters", '''
class LinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1))
        self.bias = nn.Parameter(torch.zeros(1))
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * self.weight + self.bias
'''),
    "linear_forgets_bias": ("linear_model_forward", '''
class LinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x * self.weight
'''),
    "linear_uses_item": ("linear_model_forward", '''
class LinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x * self.weight.item() + self.bias.item()
'''),
    "linear_flattens_output": ("linear_model_forward", '''
class LinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x.reshape(-1) * self.weight + self.bias
'''),
    "fit_learning_rate_too_small": ("fit_linear_recovers_line", '''
def fit_linear(x, y, epochs=1000):
    model = LinearModel()
    for _ in range(epochs):
        loss = ((model(x) - y) ** 2).mean()
        model.zero_grad()
        loss.backward()
        sgd_step_(model.parameters(), 1e-4)
    return model
'''),
    "fit_learning_rate_diverges": ("fit_linear_recovers_line", '''
def fit_linear(x, y, epochs=1000):
    model = LinearModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()
    return model
'''),
    "fit_never_zeroes_grads": ("fit_linear_recovers_line", '''
def fit_linear(x, y, epochs=1000):
    model = LinearModel()
    lr = 0.5 / (x.pow(2).mean().item() + 1.0)
    for _ in range(epochs):
        ((model(x) - y) ** 2).mean().backward()
        sgd_step_(model.parameters(), lr)
    return model
'''),
    "fit_column_target_broadcasts": ("fit_linear_recovers_line", '''
def fit_linear(x, y, epochs=1000):
    model = LinearModel()
    y = y.reshape(-1, 1)
    lr = 0.5 / (x.pow(2).mean().item() + 1.0)
    for _ in range(epochs):
        loss = ((model(x) - y) ** 2).mean()
        model.zero_grad()
        loss.backward()
        sgd_step_(model.parameters(), lr)
    return model
'''),
    "fit_rescales_x_in_place": ("fit_linear_returns_model_and_leaves_data", '''
def fit_linear(x, y, epochs=1000):
    scale = x.abs().max()
    x /= scale
    model = LinearModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(epochs):
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()
    with torch.no_grad():
        model.weight /= scale
    return model
'''),
    "fit_returns_eval_model": ("fit_linear_returns_model_and_leaves_data", '''
_reference_fit_linear = fit_linear

def fit_linear(x, y, epochs=1000):
    return _reference_fit_linear(x, y, epochs).eval()
'''),
    "fit_returns_parameters": ("fit_linear_returns_model_and_leaves_data", '''
_reference_fit_linear = fit_linear

def fit_linear(x, y, epochs=1000):
    model = _reference_fit_linear(x, y, epochs)
    return model.weight.item(), model.bias.item()
'''),
    "fit_switches_default_dtype": ("fit_linear_returns_model_and_leaves_data", '''
_reference_fit_linear = fit_linear

def fit_linear(x, y, epochs=1000):
    torch.set_default_dtype(torch.float64)
    return _reference_fit_linear(x, y, epochs)
'''),
    "sgd_adds_to_missing_grad": ("sgd_step_skips_params_without_grad", '''
def sgd_step_(params, lr):
    with torch.no_grad():
        for p in params:
            p.grad.add_(0.0)
            p -= lr * p.grad
'''),
}
