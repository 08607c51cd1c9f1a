"""Known-wrong versions of ex10_cifar, each appended to the reference solution."""

MYCNN = '''
class MyCNN(nn.Module):
    def __init__(self, image_size=224):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3)
        self.fc = nn.Linear(16 * (image_size - 2) ** 2, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], -1)
        return self.fc(x)
'''

TRANSFORM = '''
def cifar10_transform(image_size=224):
    return transforms.Compose([
        transforms.Resize(image_size),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
'''

TRAIN_EPOCH = '''
def train_epoch(model, loader, criterion, optimizer, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    model.train()
    total_loss, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * labels.shape[0]
        count += labels.shape[0]
    return total_loss / count
'''


def _edit(source: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in source, old
        source = source.replace(old, new)
    return source


MUTANTS = {
    # ---- MyCNN ----
    "padded_conv": ("mycnn_layers", _edit(
        MYCNN, ("kernel_size=3)", "kernel_size=3, padding=1)"), ("(image_size - 2) ** 2", "image_size ** 2"))),
    "fc_sized_for_32_only": ("mycnn_layers", _edit(MYCNN, ("16 * (image_size - 2) ** 2", "16 * 30 * 30"))),
    "default_size_32": ("mycnn_layers", _edit(MYCNN, ("image_size=224", "image_size=32"))),
    "relu_before_fc": ("mycnn_forward_logits", _edit(MYCNN, ("return self.fc(x)", "return self.fc(torch.relu(x))"))),
    "softmax_output": ("mycnn_forward_logits", _edit(MYCNN, ("return self.fc(x)", "return self.fc(x).softmax(dim=1)"))),
    "channels_last_flatten": ("mycnn_forward_logits", _edit(
        MYCNN, ("x.reshape(x.shape[0], -1)", "x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)"))),
    "squeeze_flatten": ("mycnn_forward_logits", _edit(MYCNN, ("x.reshape(x.shape[0], -1)", "x.flatten(1).squeeze()"))),
    # ---- cifar10_transform ----
    "transform_no_normalize": ("cifar10_transform_output", _edit(
        TRANSFORM, ("        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),\n", ""))),
    "transform_half_normalize": ("cifar10_transform_output", _edit(
        TRANSFORM, ("Normalize(IMAGENET_MEAN, IMAGENET_STD)", "Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))"))),
    "transform_center_crop": ("cifar10_transform_output", _edit(
        TRANSFORM, ("transforms.Resize(image_size)", "transforms.CenterCrop(image_size)"))),
    "transform_resize_fixed_224": ("cifar10_transform_output", _edit(
        TRANSFORM, ("transforms.Resize(image_size)", "transforms.Resize(224)"))),
    "transform_extra_flip": ("cifar10_transform_steps", _edit(
        TRANSFORM, ("transforms.ToTensor(),", "transforms.RandomHorizontalFlip(), transforms.ToTensor(),"))),
    # ---- make_loss ----
    "loss_nll": ("make_loss_is_cross_entropy", "\ndef make_loss():\n    return nn.NLLLoss()\n"),
    "loss_sum": ("make_loss_is_cross_entropy", "\ndef make_loss():\n    return nn.CrossEntropyLoss(reduction='sum')\n"),
    "loss_label_smoothing": ("make_loss_is_cross_entropy",
                             "\ndef make_loss():\n    return nn.CrossEntropyLoss(label_smoothing=0.1)\n"),
    # ---- make_optimizer ----
    "optimizer_no_momentum": ("make_optimizer_sgd_momentum",
                              "\ndef make_optimizer(model):\n    return torch.optim.SGD(model.parameters(), lr=1e-3)\n"),
    "optimizer_fc_only": ("make_optimizer_sgd_momentum",
                          "\ndef make_optimizer(model):\n"
                          "    return torch.optim.SGD(model.fc.parameters(), lr=1e-3, momentum=0.9)\n"),
    "optimizer_adam": ("make_optimizer_sgd_momentum",
                       "\ndef make_optimizer(model):\n    return torch.optim.Adam(model.parameters(), lr=1e-3)\n"),
    "optimizer_lr_too_large": ("train_epoch_reaches_accuracy_on_cifar10",
                               "\ndef make_optimizer(model):\n"
                               "    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\n"),
    # ---- train_epoch ----
    "epoch_mean_of_batch_means": ("train_epoch_returns_mean_loss_per_sample", _edit(
        TRAIN_EPOCH, ("total_loss += loss.item() * labels.shape[0]", "total_loss += loss.item()"),
        ("count += labels.shape[0]", "count += 1"))),
    "epoch_returns_last_loss": ("train_epoch_returns_mean_loss_per_sample", _edit(
        TRAIN_EPOCH, ("return total_loss / count", "return loss.item()"))),
    "epoch_returns_tensor": ("train_epoch_returns_mean_loss_per_sample", _edit(
        TRAIN_EPOCH, ("total_loss += loss.item() * labels.shape[0]", "total_loss += loss * labels.shape[0]"))),
    "epoch_no_zero_grad": ("train_epoch_steps_every_batch", _edit(TRAIN_EPOCH, ("        optimizer.zero_grad()\n", ""))),
    "epoch_one_step_per_epoch": ("train_epoch_steps_every_batch", _edit(
        TRAIN_EPOCH, ("        optimizer.step()\n", ""), ("    return total_loss / count", "    optimizer.step()\n"
                                                          "    return total_loss / count"))),
    "epoch_no_train_mode": ("train_epoch_device_and_mode", _edit(TRAIN_EPOCH, ("    model.train()\n", ""))),
    "epoch_ends_in_eval_mode": ("train_epoch_device_and_mode", _edit(
        TRAIN_EPOCH, ("    return total_loss / count", "    model.eval()\n    return total_loss / count"))),
    "epoch_none_means_cuda": ("train_epoch_device_and_mode", _edit(
        TRAIN_EPOCH, ("device = next(model.parameters()).device", 'device = "cuda"'))),
    "epoch_none_means_cuda_when_available": ("train_epoch_device_and_mode", _edit(
        TRAIN_EPOCH, ("device = next(model.parameters()).device",
                      'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")'))),
}

# ---- device arguments: one-line changes of a correct train_epoch ----
TRAIN_EPOCH = '''
def train_epoch(model, loader, criterion, optimizer, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * labels.shape[0]
        count += labels.shape[0]
    return total / max(count, 1)
'''


def _mutate(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


MUTANTS.update({
    "train_epoch_explicit_device_replaced": ("train_epoch_device_and_mode",
                                             _mutate(TRAIN_EPOCH, "if device is None:", "if device is not None:")),
    "train_epoch_model_left_behind": ("train_epoch_device_and_mode", _mutate(TRAIN_EPOCH, "    model.to(device)\n", "")),
    "train_epoch_inputs_left_behind": ("train_epoch_device_and_mode", _mutate(
        TRAIN_EPOCH, "images, labels = images.to(device), labels.to(device)", "labels = labels.to(device)")),
    "train_epoch_one_sample_refused": ("train_epoch_returns_mean_loss_per_sample", _mutate(
        TRAIN_EPOCH, "    return total", "    if count < 2:\n        raise ValueError('too few samples')\n    return total")),
})
