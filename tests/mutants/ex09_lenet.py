"""Known-wrong versions of ex09_lenet, each appended to the reference solution."""

LENET = '''
class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        )
        self.fc = nn.Sequential(
            nn.Linear(16 * 4 * 4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )

    def forward(self, img):
        features = self.conv(img)
        return self.fc(features.reshape(img.shape[0], -1))
'''

FIT = '''
def fit_lenet(trainloader, testloader, epochs=2, device=None):
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = LeNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        train_sum, train_count = 0.0, 0
        for images, labels in trainloader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            train_sum += loss.item() * labels.shape[0]
            train_count += labels.shape[0]
        model.eval()
        test_sum, correct, test_count = 0.0, 0, 0
        with torch.no_grad():
            for images, labels in testloader:
                images, labels = images.to(device), labels.to(device)
                logits = model(images)
                test_sum += criterion(logits, labels).item() * labels.shape[0]
                correct += (logits.argmax(dim=1) == labels).sum().item()
                test_count += labels.shape[0]
        history.append({"epoch": epoch, "train_loss": train_sum / train_count,
                        "test_loss": test_sum / test_count, "test_accuracy": correct / test_count})
    model.train()
    return model, history
'''


TEST_BEFORE_TRAINING = '''
def fit_lenet(trainloader, testloader, epochs=2, device=None):
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = LeNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, epochs + 1):
        model.eval()  # the test pass comes first: it measures the weights before this epoch's training
        test_sum, correct, test_count = 0.0, 0, 0
        with torch.no_grad():
            for images, labels in testloader:
                images, labels = images.to(device), labels.to(device)
                logits = model(images)
                test_sum += criterion(logits, labels).item() * labels.shape[0]
                correct += (logits.argmax(dim=1) == labels).sum().item()
                test_count += labels.shape[0]
        model.train()
        train_sum, train_count = 0.0, 0
        for images, labels in trainloader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            train_sum += loss.item() * labels.shape[0]
            train_count += labels.shape[0]
        history.append({"epoch": epoch, "train_loss": train_sum / train_count,
                        "test_loss": test_sum / test_count, "test_accuracy": correct / test_count})
    return model, history
'''


def _lenet(old: str, new: str) -> str:
    assert old in LENET, old
    return LENET.replace(old, new)


def _fit(*pairs: tuple[str, str]) -> str:
    source = FIT
    for old, new in pairs:
        assert old in source, old
        source = source.replace(old, new)
    return source


MUTANTS = {
    # ---- LeNet ----
    "avg_pool": ("lenet_layers", _lenet("nn.MaxPool2d(2, 2),\n        )", "nn.AvgPool2d(2, 2),\n        )")),
    "padded_first_conv": ("lenet_layers", _lenet("nn.Conv2d(1, 6, 5)", "nn.Conv2d(1, 6, 5, padding=2)")
                          .replace("nn.Linear(16 * 4 * 4, 120)", "nn.Linear(16 * 5 * 5, 120)")),
    "tanh_activation": ("lenet_layers", _lenet("nn.Linear(120, 84), nn.ReLU()", "nn.Linear(120, 84), nn.Tanh()")),
    "activation_after_last_linear": ("lenet_layers", _lenet("nn.Linear(84, 10),\n", "nn.Linear(84, 10), nn.ReLU(),\n")),
    "no_bias_in_fc": ("lenet_parameter_count", _lenet("nn.Linear(120, 84)", "nn.Linear(120, 84, bias=False)")),
    "extra_unused_layer": ("lenet_parameter_count", _lenet(
        "    def forward(self, img):", "        self.extra = nn.Linear(10, 10)\n\n    def forward(self, img):")),
    "softmax_output": ("lenet_forward_logits", _lenet(
        "return self.fc(features.reshape(img.shape[0], -1))",
        "return torch.softmax(self.fc(features.reshape(img.shape[0], -1)), dim=1)")),
    "squeeze_flatten": ("lenet_forward_logits", _lenet(
        "features.reshape(img.shape[0], -1)", "features.flatten(1).squeeze()")),
    "channels_last_flatten": ("lenet_forward_logits", _lenet(
        "features.reshape(img.shape[0], -1)", "features.permute(0, 2, 3, 1).reshape(img.shape[0], -1)")),
    # ---- fit_lenet ----
    "fit_returns_history_first": ("fit_lenet_returns_model_and_history", _fit(
        ("return model, history", "return history, model"))),
    "fit_epochs_hard_coded": ("fit_lenet_returns_model_and_history", _fit(
        ("range(1, epochs + 1)", "range(1, 3)"))),
    "fit_epoch_from_zero": ("fit_lenet_returns_model_and_history", _fit(
        ('{"epoch": epoch,', '{"epoch": epoch - 1,'))),
    "fit_tensor_losses": ("fit_lenet_returns_model_and_history", _fit(
        ("train_sum += loss.item() * labels.shape[0]", "train_sum += loss.detach() * labels.shape[0]"))),
    "fit_left_in_eval_mode": ("fit_lenet_returns_model_and_history", _fit(
        ("    model.train()\n    return model, history", "    return model, history"))),
    "fit_sgd": ("fit_lenet_trains_with_adam_and_cross_entropy", _fit(
        ("torch.optim.Adam(model.parameters(), lr=1e-3)", "torch.optim.SGD(model.parameters(), lr=1e-3)"))),
    "fit_lr_1e-2": ("fit_lenet_trains_with_adam_and_cross_entropy", _fit(
        ("torch.optim.Adam(model.parameters(), lr=1e-3)", "torch.optim.Adam(model.parameters(), lr=1e-2)"))),
    "fit_nll_on_logits": ("fit_lenet_trains_with_adam_and_cross_entropy", _fit(
        ("criterion = nn.CrossEntropyLoss()", "criterion = nn.NLLLoss()"))),
    "fit_no_zero_grad": ("fit_lenet_trains_with_adam_and_cross_entropy", _fit(
        ("            optimizer.zero_grad()\n", ""))),
    "fit_train_loss_mean_of_batches": ("fit_lenet_trains_with_adam_and_cross_entropy", _fit(
        ("train_sum += loss.item() * labels.shape[0]", "train_sum += loss.item()"),
        ("train_count += labels.shape[0]", "train_count += 1"))),
    "fit_test_in_train_mode": ("fit_lenet_test_pass", _fit(("        model.eval()\n", ""))),
    "fit_test_loss_mean_of_batches": ("fit_lenet_test_pass", _fit(
        ("test_sum += criterion(logits, labels).item() * labels.shape[0]",
         "test_sum += criterion(logits, labels).item()"),
        ("correct += (logits.argmax(dim=1) == labels).sum().item()",
         "correct += (logits.argmax(dim=1) == labels).float().mean().item()"),
        ("test_count += labels.shape[0]", "test_count += 1"))),
    "fit_test_before_training": ("fit_lenet_test_pass", TEST_BEFORE_TRAINING),
    "fit_train_mode_only_once": ("fit_lenet_device_and_mode", _fit(
        ("    for epoch in range(1, epochs + 1):\n        model.train()\n",
         "    model.train()\n    for epoch in range(1, epochs + 1):\n"),
        ("    model.train()\n    return model, history", "    return model, history"))),
    "fit_none_means_cuda": ("fit_lenet_device_and_mode", _fit(
        ('device = torch.device("cuda" if torch.cuda.is_available() else "cpu")', 'device = "cuda"'))),
    "fit_none_means_cpu": ("fit_lenet_device_and_mode", _fit(
        ('device = torch.device("cuda" if torch.cuda.is_available() else "cpu")', 'device = "cpu"'))),
    "fit_none_means_first_parameter": ("fit_lenet_device_and_mode", _fit(
        ('        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n    model = LeNet().to(device)',
         '        device = next(LeNet().parameters()).device\n    model = LeNet().to(device)'))),
    "fit_one_batch_per_epoch": ("fit_lenet_reaches_accuracy_on_fashion_mnist", _fit(
        ("            train_count += labels.shape[0]\n", "            train_count += labels.shape[0]\n            break\n"))),
}

# ---- device arguments and epochs=0: one-line changes of a correct fit_lenet ----
FIT = '''
def fit_lenet(trainloader, testloader, epochs=2, device=None):
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = LeNet()
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        train_sum, train_count = 0.0, 0
        for images, labels in trainloader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            train_sum += loss.item() * labels.shape[0]
            train_count += labels.shape[0]
        model.eval()
        test_sum, correct, test_count = 0.0, 0, 0
        with torch.no_grad():
            for images, labels in testloader:
                images, labels = images.to(device), labels.to(device)
                logits = model(images)
                test_sum += criterion(logits, labels).item() * labels.shape[0]
                correct += (logits.argmax(dim=1) == labels).sum().item()
                test_count += labels.shape[0]
        history.append({"epoch": epoch, "train_loss": train_sum / max(train_count, 1),
                        "test_loss": test_sum / max(test_count, 1), "test_accuracy": correct / max(test_count, 1)})
    model.train()
    return model, history
'''


def _mutate(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


MUTANTS.update({
    "fit_explicit_device_replaced": ("fit_lenet_device_and_mode",
                                     _mutate(FIT, "if device is None:", "if device is not None:")),
    "fit_model_left_behind": ("fit_lenet_device_and_mode", _mutate(FIT, "    model.to(device)\n", "")),
    "fit_zero_epochs_model_in_eval": ("fit_lenet_returns_model_and_history", _mutate(
        _mutate(FIT, "    model = LeNet()\n", "    model = LeNet().eval()\n"),
        "    model.train()\n    return", "    if history:\n        model.train()\n    return")),
})
