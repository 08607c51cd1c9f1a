MUTANTS = {
    "mean_square_backward_on_caller_x": ("grad_of_mean_square_leaves_x_alone", '''
def grad_of_mean_square(x):
    x.requires_grad_(True)
    (x ** 2).mean().backward()
    return x.grad
'''),
    "mean_square_clone_without_detach": ("grad_of_mean_square_values", '''
def grad_of_mean_square(x):
    leaf = x.clone().requires_grad_(True)
    (leaf ** 2).mean().backward()
    return leaf.grad
'''),
    "mean_square_sum_not_mean": ("grad_of_mean_square_values", '''
def grad_of_mean_square(x):
    leaf = x.detach().clone().requires_grad_(True)
    (leaf ** 2).sum().backward()
    return leaf.grad
'''),
    "mean_square_grad_mode_left_on": ("grad_of_mean_square_leaves_x_alone", '''
def grad_of_mean_square(x):
    torch.set_grad_enabled(True)
    leaf = x.detach().clone().requires_grad_(True)
    (leaf ** 2).mean().backward()
    return leaf.grad
'''),
    "mean_square_accumulates_into_existing_grad": ("grad_of_mean_square_leaves_x_alone", '''
def grad_of_mean_square(x):
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (leaf ** 2).mean().backward()
    if x.requires_grad and x.grad is not None:
        x.grad.zero_()
    return leaf.grad
'''),
    "mean_square_through_non_leaf_x": ("grad_of_mean_square_leaves_x_alone", '''
def grad_of_mean_square(x):
    # a leaf is copied, but a non-leaf x is differentiated in place, through the caller's graph
    leaf = x.detach().clone().requires_grad_(True) if x.is_leaf else x
    leaf.retain_grad()
    with torch.enable_grad():
        (leaf ** 2).mean().backward()
    return leaf.grad
'''),
    "chain_forgets_plus_two": ("seed_chain_grad_values", '''
def seed_chain_grad(x):
    leaf = x.detach().clone().requires_grad_(True)
    (leaf * leaf * 3).mean().backward()
    return leaf.grad
'''),
    "chain_hard_coded_ones_answer": ("seed_chain_grad_values", '''
def seed_chain_grad(x):
    return torch.full_like(x, 4.5)
'''),
    "chain_backward_on_caller_x": ("seed_chain_grad_leaves_x_alone", '''
def seed_chain_grad(x):
    x.requires_grad_(True)
    y = x + 2
    z = y * y * 3
    z.mean().backward()
    return x.grad
'''),
    "chain_returns_cpu_numpy_copy": ("seed_chain_grad_values", '''
def seed_chain_grad(x):
    leaf = torch.tensor(x.tolist(), dtype=torch.float64, requires_grad=True)
    y = leaf + 2
    (y * y * 3).mean().backward()
    return leaf.grad
'''),
    "vjp_ignores_v": ("vector_jacobian_product_matches_vjp", '''
def vector_jacobian_product(fn, x, v):
    leaf = x.detach().clone().requires_grad_(True)
    y = fn(leaf)
    y.backward(torch.ones_like(y))
    return leaf.grad
'''),
    "vjp_elementwise_shortcut": ("vector_jacobian_product_matches_vjp", '''
def vector_jacobian_product(fn, x, v):
    leaf = x.detach().clone().requires_grad_(True)
    fn(leaf).sum().backward()
    return leaf.grad * v
'''),
    "vjp_jacobian_not_transposed": ("vector_jacobian_product_matches_vjp", '''
def vector_jacobian_product(fn, x, v):
    jac = torch.autograd.functional.jacobian(fn, x.detach().clone())
    jac = jac.reshape(v.numel(), x.numel())
    if jac.shape[0] == jac.shape[1]:
        return (jac @ v.reshape(-1)).reshape(x.shape)
    return (v.reshape(-1) @ jac).reshape(x.shape)
'''),
    "vjp_on_caller_x": ("vector_jacobian_product_leaves_inputs_alone", '''
def vector_jacobian_product(fn, x, v):
    x.requires_grad_(True)
    x.grad = None
    fn(x).backward(v)
    return x.grad
'''),
    "predict_detach_after": ("predict_no_grad_builds_no_graph", '''
def predict_no_grad(model, x):
    return model(x).detach()
'''),
    "predict_switches_to_eval": ("predict_no_grad_keeps_train_eval_mode", '''
def predict_no_grad(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)
'''),
    "predict_eval_then_train": ("predict_no_grad_keeps_train_eval_mode", '''
def predict_no_grad(model, x):
    model.eval()
    with torch.no_grad():
        out = model(x)
    model.train()
    return out
'''),
    "predict_grad_mode_not_restored": ("predict_no_grad_leaves_model_alone", '''
def predict_no_grad(model, x):
    torch.set_grad_enabled(False)
    return model(x)
'''),
    "predict_zero_grad": ("predict_no_grad_leaves_model_alone", '''
def predict_no_grad(model, x):
    model.zero_grad()
    with torch.no_grad():
        return model(x)
'''),
    "predict_freezes_parameters": ("predict_no_grad_leaves_model_alone", '''
def predict_no_grad(model, x):
    for p in model.parameters():
        p.requires_grad_(False)
    return model(x)
'''),
}
