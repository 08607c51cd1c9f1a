MUTANTS = {
    # ---- freeze_ ----
    "freeze_requires_grad_no_argument": ("freeze_all_parameters", '''
def freeze_(model):
    for param in model.parameters():
        param.requires_grad_()  # no argument: switches it ON
    return model
'''),
    "freeze_weights_only": ("freeze_all_parameters", '''
def freeze_(model):
    for module in model.modules():
        if getattr(module, "weight", None) is not None:
            module.weight.requires_grad = False
    return model
'''),
    "freeze_returns_none": ("freeze_all_parameters", '''
def freeze_(model):
    for param in model.parameters():
        param.requires_grad = False
'''),
    "freeze_switches_to_eval": ("freeze_all_parameters", '''
def freeze_(model):
    for param in model.parameters():
        param.requires_grad = False
    return model.eval()
'''),
    # ---- replace_densenet_classifier ----
    "densenet_unnamed_sequential": ("densenet_classifier_structure", '''
def replace_densenet_classifier(model, num_classes=2, hidden=500):
    n_in = model.classifier.in_features
    freeze_(model)
    model.classifier = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, num_classes),
                                     nn.LogSoftmax(dim=1))
    return model
'''),
    "densenet_softmax_head": ("densenet_classifier_structure", '''
def replace_densenet_classifier(model, num_classes=2, hidden=500):
    n_in = model.classifier.in_features
    freeze_(model)
    model.classifier = nn.Sequential(OrderedDict(fc1=nn.Linear(n_in, hidden), relu=nn.ReLU(),
                                                 fc2=nn.Linear(hidden, num_classes), output=nn.Softmax(dim=1)))
    return model
'''),
    "densenet_returns_classifier": ("densenet_classifier_structure", '''
def replace_densenet_classifier(model, num_classes=2, hidden=500):
    n_in = model.classifier.in_features
    freeze_(model)
    model.classifier = nn.Sequential(OrderedDict(fc1=nn.Linear(n_in, hidden), relu=nn.ReLU(),
                                                 fc2=nn.Linear(hidden, num_classes), output=nn.LogSoftmax(dim=1)))
    return model.classifier
'''),
    "densenet_hard_coded_1024": ("densenet_classifier_sizes", '''
def replace_densenet_classifier(model, num_classes=2, hidden=500):
    freeze_(model)
    model.classifier = nn.Sequential(OrderedDict(fc1=nn.Linear(1024, hidden), relu=nn.ReLU(),
                                                 fc2=nn.Linear(hidden, num_classes), output=nn.LogSoftmax(dim=1)))
    return model
'''),
    "densenet_arguments_swapped": ("densenet_classifier_sizes", '''
def replace_densenet_classifier(model, hidden=500, num_classes=2):
    n_in = model.classifier.in_features
    freeze_(model)
    model.classifier = nn.Sequential(OrderedDict(fc1=nn.Linear(n_in, hidden), relu=nn.ReLU(),
                                                 fc2=nn.Linear(hidden, num_classes), output=nn.LogSoftmax(dim=1)))
    return model
'''),
    "densenet_freezes_after_new_head": ("densenet_classifier_frozen_body", '''
def replace_densenet_classifier(model, num_classes=2, hidden=500):
    n_in = model.classifier.in_features
    model.classifier = nn.Sequential(OrderedDict(fc1=nn.Linear(n_in, hidden), relu=nn.ReLU(),
                                                 fc2=nn.Linear(hidden, num_classes), output=nn.LogSoftmax(dim=1)))
    freeze_(model)
    return model
'''),
    "densenet_not_frozen": ("densenet_classifier_frozen_body", '''
def replace_densenet_classifier(model, num_classes=2, hidden=500):
    n_in = model.classifier.in_features
    model.classifier = nn.Sequential(OrderedDict(fc1=nn.Linear(n_in, hidden), relu=nn.ReLU(),
                                                 fc2=nn.Linear(hidden, num_classes), output=nn.LogSoftmax(dim=1)))
    return model
'''),
    "densenet_switches_to_eval": ("densenet_classifier_frozen_body", '''
def replace_densenet_classifier(model, num_classes=2, hidden=500):
    n_in = model.classifier.in_features
    freeze_(model)
    model.classifier = nn.Sequential(OrderedDict(fc1=nn.Linear(n_in, hidden), relu=nn.ReLU(),
                                                 fc2=nn.Linear(hidden, num_classes), output=nn.LogSoftmax(dim=1)))
    model.eval()
    return model
'''),
    "densenet_relu_after_fc2": ("densenet_classifier_log_probs", '''
class _Head(nn.Sequential):
    def forward(self, x):
        return self.output(self.relu(self.fc2(self.fc1(x))))


def replace_densenet_classifier(model, num_classes=2, hidden=500):
    n_in = model.classifier.in_features
    freeze_(model)
    model.classifier = _Head(OrderedDict(fc1=nn.Linear(n_in, hidden), relu=nn.ReLU(),
                                         fc2=nn.Linear(hidden, num_classes), output=nn.LogSoftmax(dim=1)))
    return model
'''),
    # ---- replace_alexnet_head ----
    "alexnet_hard_coded_4096": ("alexnet_head_replaced", '''
def replace_alexnet_head(model, num_classes=10):
    model.classifier[6] = nn.Linear(4096, num_classes)
    return model
'''),
    "alexnet_appends_layer": ("alexnet_head_replaced", '''
def replace_alexnet_head(model, num_classes=10):
    model.classifier.append(nn.Linear(model.classifier[6].out_features, num_classes))
    return model
'''),
    "alexnet_freezes_everything": ("alexnet_nothing_else_changes", '''
def replace_alexnet_head(model, num_classes=10):
    freeze_(model)
    model.classifier[6] = nn.Linear(model.classifier[6].in_features, num_classes)
    return model
'''),
    "alexnet_rebuilds_classifier": ("alexnet_nothing_else_changes", '''
def replace_alexnet_head(model, num_classes=10):
    old = model.classifier
    model.classifier = nn.Sequential(
        nn.Dropout(), nn.Linear(old[1].in_features, old[1].out_features), nn.ReLU(inplace=True),
        nn.Dropout(), nn.Linear(old[4].in_features, old[4].out_features), nn.ReLU(inplace=True),
        nn.Linear(old[6].in_features, num_classes))
    return model
'''),
    "alexnet_switches_to_train": ("alexnet_nothing_else_changes", '''
def replace_alexnet_head(model, num_classes=10):
    model.classifier[6] = nn.Linear(model.classifier[6].in_features, num_classes)
    return model.train()
'''),
    # ---- head_optimizer ----
    "optimizer_all_parameters": ("head_optimizer_params", '''
def head_optimizer(model, lr=1e-3):
    return torch.optim.Adam(model.parameters(), lr=lr)
'''),
    "optimizer_all_trainable_parameters": ("head_optimizer_params", '''
def head_optimizer(model, lr=1e-3):
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
'''),
    "optimizer_whole_classifier": ("head_optimizer_params", '''
def head_optimizer(model, lr=1e-3):
    return torch.optim.Adam(model.classifier.parameters(), lr=lr)
'''),
    "optimizer_adamw": ("head_optimizer_params", '''
def head_optimizer(model, lr=1e-3):
    return torch.optim.AdamW([p for p in model.classifier.parameters() if p.requires_grad], lr=lr)
'''),
    "optimizer_lr_ignored": ("head_optimizer_lr", '''
def head_optimizer(model, lr=1e-3):
    return torch.optim.Adam([p for p in model.classifier.parameters() if p.requires_grad])
'''),
    # ---- train_step ----
    "train_step_no_zero_grad": ("train_step_loss_and_update", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
    "train_step_returns_tensor": ("train_step_loss_and_update", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    return loss
'''),
    "train_step_loss_after_step": ("train_step_loss_and_update", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    inputs, labels = inputs.to(device), labels.to(device)
    optimizer.zero_grad()
    criterion(model(inputs), labels).backward()
    optimizer.step()
    with torch.no_grad():
        return criterion(model(inputs), labels).item()
'''),
    "train_step_no_step": ("train_step_loss_and_update", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    return loss.item()
'''),
    "train_step_unfreezes": ("train_step_frozen_unchanged", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    for p in model.parameters():
        p.requires_grad_(True)
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
    "train_step_weight_decay_by_hand": ("train_step_frozen_unchanged", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1 - 1e-4)
    return loss.item()
'''),
    "train_step_hard_coded_cuda": ("train_step_device_and_mode", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    model.cuda().train()
    optimizer.zero_grad()
    loss = criterion(model(inputs.cuda()), labels.cuda())
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
    "train_step_none_means_cuda_when_available": ("train_step_device_and_mode", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device).train()
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
    "train_step_no_train_mode": ("train_step_device_and_mode", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device)
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
    "train_step_eval_at_end": ("train_step_device_and_mode", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    model.eval()
    return loss.item()
'''),
    "train_step_normalises_inputs_in_place": ("train_step_device_and_mode", '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    device = device or next(model.parameters()).device
    model.to(device).train()
    inputs.sub_(inputs.mean()).div_(inputs.std())
    optimizer.zero_grad()
    loss = criterion(model(inputs.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
}

# ---- device arguments: one-line changes of a correct train_step ----
TRAIN_STEP = '''
def train_step(model, inputs, labels, criterion, optimizer, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    model.train()
    inputs, labels = inputs.to(device), labels.to(device)
    optimizer.zero_grad()
    loss = criterion(model(inputs), labels)
    loss.backward()
    optimizer.step()
    return loss.item()
'''


def _mutate(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


MUTANTS.update({
    "train_step_explicit_device_replaced": ("train_step_device_and_mode",
                                            _mutate(TRAIN_STEP, "if device is None:", "if device is not None:")),
    "train_step_model_left_behind": ("train_step_device_and_mode", _mutate(TRAIN_STEP, "    model.to(device)\n", "")),
    "train_step_cpu_means_cuda_when_available": ("train_step_device_and_mode", _mutate(
        TRAIN_STEP, "    model.to(device)\n",
        "    if str(device) == 'cpu' and torch.cuda.is_available():\n        device = 'cuda'\n    model.to(device)\n")),
    "train_step_head_only_moved": ("train_step_device_and_mode",
                                   _mutate(TRAIN_STEP, "    model.to(device)\n", "    model.classifier.to(device)\n")),
})
