MUTANTS = {
    "ce_naive_log_softmax": ("cross_entropy_large_logits", '''
def cross_entropy(logits, target):
    probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    return -probs.log()[torch.arange(logits.shape[0]), target].mean()
'''),
    "ce_clamped_probabilities": ("cross_entropy_large_logits", '''
def cross_entropy(logits, target):
    probs = torch.softmax(logits, dim=1).clamp(min=1e-12)
    return -probs.log()[torch.arange(logits.shape[0]), target].mean()
'''),
    "ce_sum_not_mean": ("cross_entropy_value", '''
def cross_entropy(logits, target):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probs.gather(1, target.unsqueeze(1)).sum()
'''),
    "ce_shape_one": ("cross_entropy_value", '''
def cross_entropy(logits, target):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probs.gather(1, target.unsqueeze(1)).mean(dim=0)
'''),
    "ce_max_instead_of_logsumexp": ("cross_entropy_value", '''
def cross_entropy(logits, target):
    picked = logits[torch.arange(logits.shape[0]), target]
    return (logits.max(dim=1).values - picked).mean()
'''),
    "ce_detached_item": ("cross_entropy_gradient", '''
def cross_entropy(logits, target):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return torch.tensor(-log_probs.gather(1, target.unsqueeze(1)).mean().item())
'''),
    "ce_detached_logsumexp": ("cross_entropy_gradient", '''
def cross_entropy(logits, target):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True).detach()
    return -log_probs.gather(1, target.unsqueeze(1)).mean()
'''),
    "ce_calls_F_cross_entropy": ("cross_entropy_from_scratch", '''
def cross_entropy(logits, target):
    return F.cross_entropy(logits, target)
'''),
    "ce_alias_nll_loss": ("cross_entropy_from_scratch", '''
from torch.nn.functional import nll_loss as _nll

def cross_entropy(logits, target):
    return _nll(torch.log_softmax(logits, dim=1), target)
'''),
    "ce_module_at_import": ("cross_entropy_from_scratch", '''
_CRITERION = torch.nn.CrossEntropyLoss()

def cross_entropy(logits, target):
    return _CRITERION(logits, target)
'''),
    "ce_catches_the_ban": ("cross_entropy_from_scratch", '''
def cross_entropy(logits, target):
    try:
        return torch.nn.functional.cross_entropy(logits, target)
    except Exception:
        log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        return -log_probs.gather(1, target.unsqueeze(1)).mean()
'''),
    "weighted_divides_by_n": ("weighted_cross_entropy_matches_pytorch", '''
def weighted_cross_entropy(logits, target, weight):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    losses = -log_probs.gather(1, target.unsqueeze(1)).squeeze(1)
    return (weight[target] * losses).mean()
'''),
    "weighted_ignores_weights": ("weighted_cross_entropy_matches_pytorch", '''
def weighted_cross_entropy(logits, target, weight):
    return cross_entropy(logits, target)
'''),
    "weighted_by_class_index": ("weighted_cross_entropy_matches_pytorch", '''
def weighted_cross_entropy(logits, target, weight):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    losses = -log_probs.gather(1, target.unsqueeze(1)).squeeze(1)
    w = weight[: len(target)] if len(weight) >= len(target) else weight.repeat(len(target))[: len(target)]
    return (w * losses).sum() / w.sum()
'''),
    "weighted_calls_F": ("weighted_cross_entropy_from_scratch", '''
def weighted_cross_entropy(logits, target, weight):
    return F.cross_entropy(logits, target, weight=weight)
'''),
    "focal_ignores_gamma": ("focal_loss_matches_formula", '''
def focal_loss(logits, target, gamma=2.0):
    log_pt = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-((1 - log_pt.exp()) ** 2) * log_pt).mean()
'''),
    "focal_detached_modulating_factor": ("focal_loss_matches_formula", '''
def focal_loss(logits, target, gamma=2.0):
    log_pt = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    factor = ((1 - log_pt.exp()) ** gamma).detach()
    return (-factor * log_pt).mean()
'''),
    "focal_pt_instead_of_one_minus": ("focal_loss_matches_formula", '''
def focal_loss(logits, target, gamma=2.0):
    log_pt = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-(log_pt.exp() ** gamma) * log_pt).mean()
'''),
    "focal_with_alpha": ("focal_loss_gamma_zero_is_cross_entropy", '''
def focal_loss(logits, target, gamma=2.0):
    log_pt = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-0.25 * (1 - log_pt.exp()) ** gamma * log_pt).mean()
'''),
    "focal_default_gamma_one": ("focal_loss_default_gamma", '''
def focal_loss(logits, target, gamma=1.0):
    log_pt = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-((1 - log_pt.exp()) ** gamma) * log_pt).mean()
'''),
    "ce_shifts_logits_in_place": ("losses_leave_inputs_untouched", '''
def cross_entropy(logits, target):
    with torch.no_grad():
        logits -= logits.max(dim=1, keepdim=True).values
    log_probs = logits - logits.exp().sum(dim=1, keepdim=True).log()
    return -log_probs.gather(1, target.unsqueeze(1)).mean()
'''),
    "focal_sets_requires_grad": ("losses_leave_inputs_untouched", '''
def focal_loss(logits, target, gamma=2.0):
    logits.requires_grad_(True)
    log_pt = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return (-((1 - log_pt.exp()) ** gamma) * log_pt).mean()
'''),
    "weighted_normalises_weight_in_place": ("losses_leave_inputs_untouched", '''
def weighted_cross_entropy(logits, target, weight):
    weight /= weight.sum()
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    losses = -log_probs.gather(1, target.unsqueeze(1)).squeeze(1)
    w = weight[target]
    return (w * losses).sum() / w.sum()
'''),
}

# ---- code that would notice a wrapper on F.cross_entropy: judged by the operators it ran and its graph ----
MUTANTS.update({
    "ce_saved_c_entry_point": ("cross_entropy_from_scratch", '''
_saved = torch._C._nn.cross_entropy_loss  # taken at import, before any probe

def cross_entropy(logits, target):
    return _saved(logits, target, None, 1, -100, 0.0)
'''),
    "ce_saved_nll_c_entry_point": ("cross_entropy_from_scratch", '''
_saved_nll = torch._C._nn.nll_loss_nd

def cross_entropy(logits, target):
    return _saved_nll(torch.log_softmax(logits, dim=1), target, None, 1, -100)
'''),
    "ce_aten_nll_loss_forward": ("cross_entropy_from_scratch", '''
def cross_entropy(logits, target):
    return torch.ops.aten.nll_loss_forward(torch.log_softmax(logits, dim=1), target, None, 1, -100)[0]
'''),
    "ce_aten_nll_loss": ("cross_entropy_from_scratch", '''
def cross_entropy(logits, target):
    return torch.ops.aten.nll_loss(torch.log_softmax(logits, dim=1), target)
'''),
    "ce_detached_and_rewrapped": ("cross_entropy_from_scratch", '''
_saved = torch._C._nn.cross_entropy_loss

def cross_entropy(logits, target):
    with torch.no_grad():
        value = _saved(logits.detach(), target, None, 1, -100, 0.0)
    probabilities = torch.softmax(logits, dim=1).detach()
    probabilities[torch.arange(len(target)), target] -= 1
    surrogate = (logits * probabilities).sum() / len(target)  # the right gradient, grafted on
    return value + surrogate - surrogate.detach()
'''),
    "ce_unwraps_the_wrapper": ("cross_entropy_from_scratch", '''
import inspect as _inspect

def cross_entropy(logits, target):
    function = torch.nn.functional.nll_loss
    for cell in getattr(function, "__closure__", None) or ():
        if callable(cell.cell_contents):
            function = cell.cell_contents
    original = getattr(function, "__wrapped__", None) or torch.ops.aten.nll_loss_nd
    return original(torch.log_softmax(logits, dim=1), target)
'''),
    "ce_pops_the_operator_record": ("cross_entropy_from_scratch", '''
from torch.utils._python_dispatch import _pop_mode

def cross_entropy(logits, target):
    while torch._C._len_torch_dispatch_stack():
        _pop_mode()
    return torch.ops.aten.nll_loss_nd(torch.log_softmax(logits, dim=1), target)
'''),
    "weighted_saved_c_entry_point": ("weighted_cross_entropy_from_scratch", '''
_saved_weighted = torch._C._nn.cross_entropy_loss

def weighted_cross_entropy(logits, target, weight):
    return _saved_weighted(logits, target, weight, 1, -100, 0.0)
'''),
    "weighted_aten_nll_loss_forward": ("weighted_cross_entropy_from_scratch", '''
def weighted_cross_entropy(logits, target, weight):
    return torch.ops.aten.nll_loss_forward(torch.log_softmax(logits, dim=1), target, weight, 1, -100)[0]
'''),
})

# Correct code in other styles: full marks on every check of the exercise.
CORRECT = {
    "log_softmax_and_gather": '''
def cross_entropy(logits, target):
    return -F.log_softmax(logits, dim=1).gather(1, target[:, None]).mean()

def weighted_cross_entropy(logits, target, weight):
    picked = F.log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    w = weight[target]
    return -(w * picked).sum() / w.sum()
''',
    "manual_max_shift": '''
def cross_entropy(logits, target):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -log_probs[torch.arange(logits.shape[0]), target].mean()

def weighted_cross_entropy(logits, target, weight):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    w = weight[target]
    return -(w * log_probs[torch.arange(logits.shape[0]), target]).sum() / w.sum()
''',
    "one_hot_and_logsumexp": '''
def cross_entropy(logits, target):
    one_hot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
    return (torch.logsumexp(logits, dim=1) - (logits * one_hot).sum(dim=1)).mean()

def weighted_cross_entropy(logits, target, weight):
    one_hot = F.one_hot(target, logits.shape[1]).to(logits.dtype)
    losses = torch.logsumexp(logits, dim=1) - (logits * one_hot).sum(dim=1)
    return (weight[target] * losses).sum() / weight[target].sum()
''',
}
