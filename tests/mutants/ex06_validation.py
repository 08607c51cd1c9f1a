MUTANTS = {
    # ---- validation ----
    "validation_mean_of_batch_losses": ("validation_mean_loss_and_accuracy", '''
def validation(model, loader, criterion, device=None):
    if device is None:
        device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    losses, correct, count = [], 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            output = model(images)
            losses.append(criterion(output, labels).item())
            correct += (output.argmax(dim=1) == labels).sum().item()
            count += labels.shape[0]
    model.train(was_training)
    return sum(losses) / len(losses), correct / count
'''),
    "validation_mean_of_batch_accuracies": ("validation_mean_loss_and_accuracy", '''
def validation(model, loader, criterion, device=None):
    if device is None:
        device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, accuracies, count = 0.0, [], 0
    with torch.no_grad():
        for images, labels in loader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            output = model(images)
            total += criterion(output, labels).item() * labels.shape[0]
            accuracies.append((output.argmax(dim=1) == labels).float().mean().item())
            count += labels.shape[0]
    model.train(was_training)
    return total / count, sum(accuracies) / len(accuracies)
'''),
    "validation_no_flatten": ("validation_flattens_and_moves_inputs", '''
def validation(model, loader, criterion, device=None):
    if device is None:
        device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            output = model(images)
            total += criterion(output, labels).item() * labels.shape[0]
            correct += (output.argmax(dim=1) == labels).sum().item()
            count += labels.shape[0]
    model.train(was_training)
    return total / count, correct / count
'''),
    "validation_hard_codes_cuda": ("validation_flattens_and_moves_inputs", '''
_reference_validation = validation
def validation(model, loader, criterion, device=None):
    return _reference_validation(model, loader, criterion, "cuda")
'''),
    "validation_builds_graph": ("validation_builds_no_graph", '''
def validation(model, loader, criterion, device=None):
    if device is None:
        device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    for images, labels in loader:
        images = images.to(device).reshape(images.shape[0], -1)
        labels = labels.to(device)
        output = model(images)
        total += criterion(output, labels).item() * labels.shape[0]
        correct += (output.argmax(dim=1) == labels).sum().item()
        count += labels.shape[0]
    model.train(was_training)
    return total / count, correct / count
'''),
    "validation_grad_mode_not_restored": ("validation_builds_no_graph", '''
_reference_validation = validation
def validation(model, loader, criterion, device=None):
    torch.set_grad_enabled(False)
    result = _reference_validation(model, loader, criterion, device)
    torch.set_grad_enabled(True)
    return result
'''),
    "validation_always_back_to_train": ("validation_eval_mode_restored", '''
_reference_validation = validation
def validation(model, loader, criterion, device=None):
    result = _reference_validation(model, loader, criterion, device)
    model.train()
    return result
'''),
    "validation_forgets_eval": ("validation_eval_mode_restored", '''
def validation(model, loader, criterion, device=None):
    if device is None:
        device = next(model.parameters()).device
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            output = model(images)
            total += criterion(output, labels).item() * labels.shape[0]
            correct += (output.argmax(dim=1) == labels).sum().item()
            count += labels.shape[0]
    return total / count, correct / count
'''),
    "validation_returns_tensors": ("results_are_python_floats", '''
_reference_validation = validation
def validation(model, loader, criterion, device=None):
    loss, accuracy = _reference_validation(model, loader, criterion, device)
    return torch.tensor(loss), torch.tensor(accuracy)
'''),
    # ---- evaluate_accuracy ----
    "evaluate_accuracy_mean_of_batches": ("evaluate_accuracy_over_all_samples", '''
def evaluate_accuracy(data_iter, net, device=None):
    if device is None:
        device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    accuracies = []
    with torch.no_grad():
        for inputs, labels in data_iter:
            inputs, labels = inputs.to(device), labels.to(device)
            accuracies.append((net(inputs).argmax(dim=1) == labels).float().mean().item())
    net.train(was_training)
    return sum(accuracies) / len(accuracies)
'''),
    "evaluate_accuracy_flattens": ("evaluate_accuracy_inputs_as_they_come", '''
_reference_evaluate_accuracy = evaluate_accuracy
def evaluate_accuracy(data_iter, net, device=None):
    flat = [(x.reshape(x.shape[0], -1), y) for x, y in data_iter]
    return _reference_evaluate_accuracy(flat, net, device)
'''),
    "evaluate_accuracy_calls_cuda": ("evaluate_accuracy_inputs_as_they_come", '''
def evaluate_accuracy(data_iter, net, device=None):
    was_training = net.training
    net.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for inputs, labels in data_iter:
            inputs, labels = inputs.cuda(), labels.cuda()
            correct += (net(inputs).argmax(dim=1) == labels).sum().item()
            count += labels.shape[0]
    net.train(was_training)
    return correct / count
'''),
    "evaluate_accuracy_no_no_grad": ("evaluate_accuracy_no_graph_and_mode", '''
def evaluate_accuracy(data_iter, net, device=None):
    if device is None:
        device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    correct, count = 0, 0
    for inputs, labels in data_iter:
        inputs, labels = inputs.to(device), labels.to(device)
        correct += (net(inputs).argmax(dim=1) == labels).sum().item()
        count += labels.shape[0]
    net.train(was_training)
    return correct / count
'''),
    "evaluate_accuracy_leaves_eval_mode": ("evaluate_accuracy_no_graph_and_mode", '''
_reference_evaluate_accuracy = evaluate_accuracy
def evaluate_accuracy(data_iter, net, device=None):
    result = _reference_evaluate_accuracy(data_iter, net, device)
    net.eval()
    return result
'''),
    # ---- train ----
    "train_epochs_from_zero": ("train_history_format", '''
_reference_train = train
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    history = _reference_train(model, trainloader, testloader, criterion, optimizer, epochs, device)
    for row in history:
        row["epoch"] -= 1
    return history
'''),
    "train_extra_key": ("train_history_format", '''
_reference_train = train
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    history = _reference_train(model, trainloader, testloader, criterion, optimizer, epochs, device)
    for row in history:
        row["accuracy"] = row.pop("test_accuracy")
    return history
'''),
    "train_loss_tensor": ("train_history_format", '''
_reference_train = train
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    history = _reference_train(model, trainloader, testloader, criterion, optimizer, epochs, device)
    for row in history:
        row["train_loss"] = torch.tensor(row["train_loss"])
    return history
'''),
    "train_loss_mean_of_batches": ("train_loss_is_per_sample_mean", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        running, batches = 0.0, 0
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
            batches += 1
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": running / batches,
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    return history
'''),
    "train_loss_of_last_batch": ("train_loss_is_per_sample_mean", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": loss.item(),
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    return history
'''),
    "train_without_zero_grad": ("train_updates_weights", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": running / seen,
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    model.train()
    return history
'''),
    "train_only_first_epoch_steps": ("train_updates_weights", '''
_reference_train = train
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    history = _reference_train(model, trainloader, testloader, criterion, optimizer, 1, device)
    for epoch in range(2, epochs + 1):
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": history[0]["train_loss"],
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    model.train()
    return history
'''),
    "train_in_callers_mode": ("train_device_and_mode", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        running, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": running / seen,
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    return history
'''),
    "train_ends_in_eval": ("train_device_and_mode", '''
_reference_train = train
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    history = _reference_train(model, trainloader, testloader, criterion, optimizer, epochs, device)
    model.eval()
    return history
'''),
    "train_test_pass_in_train_mode": ("train_device_and_mode", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        total, correct, count = 0.0, 0, 0
        with torch.no_grad():
            for images, labels in testloader:
                images = images.to(device).reshape(images.shape[0], -1)
                labels = labels.to(device)
                output = model(images)
                total += criterion(output, labels).item() * labels.shape[0]
                correct += (output.argmax(dim=1) == labels).sum().item()
                count += labels.shape[0]
        history.append({"epoch": epoch, "train_loss": running / seen,
                        "test_loss": total / count, "test_accuracy": correct / count})
    return history
'''),
    "train_hard_codes_cuda": ("train_device_and_mode", '''
_reference_train = train
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    return _reference_train(model, trainloader, testloader, criterion, optimizer, epochs, "cuda")
'''),
    "train_zero_grad_before_step": ("train_reaches_accuracy_on_mnist", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.zero_grad()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": running / seen,
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    return history
'''),
    "train_never_zeroes_grads_on_mnist": ("train_reaches_accuracy_on_mnist", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": running / seen,
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    return history
'''),
    "train_no_flatten": ("train_device_and_mode", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for images, labels in trainloader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": running / seen,
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    model.train()
    return history
'''),
    "train_test_pass_with_graph": ("train_device_and_mode", '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        model.eval()
        total, correct, count = 0.0, 0, 0
        for images, labels in testloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            output = model(images)
            total += criterion(output, labels).item() * labels.shape[0]
            correct += (output.argmax(dim=1) == labels).sum().item()
            count += labels.shape[0]
        history.append({"epoch": epoch, "train_loss": running / seen,
                        "test_loss": total / count, "test_accuracy": correct / count})
    model.train()
    return history
'''),
    # ---- device=None: the model's device, not "CUDA when available" ----
    "validation_none_means_cuda_when_available": ("validation_flattens_and_moves_inputs", '''
_reference_validation = validation
def validation(model, loader, criterion, device=None):
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return _reference_validation(model, loader, criterion, device)
'''),
    "evaluate_accuracy_none_means_accelerator": ("evaluate_accuracy_inputs_as_they_come", '''
_reference_evaluate_accuracy = evaluate_accuracy
def evaluate_accuracy(data_iter, net, device=None):
    if device is None:
        device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"
    return _reference_evaluate_accuracy(data_iter, net, device)
'''),
    "train_none_means_cuda_when_available": ("train_device_and_mode", '''
_reference_train = train
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return _reference_train(model, trainloader, testloader, criterion, optimizer, epochs, device)
'''),
}

# ---- device arguments and the contract's edges: one-line changes of a correct implementation ----
TRAIN = '''
def train(model, trainloader, testloader, criterion, optimizer, epochs, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for images, labels in trainloader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.shape[0]
            seen += labels.shape[0]
        test_loss, test_accuracy = validation(model, testloader, criterion, device)
        history.append({"epoch": epoch, "train_loss": running / max(seen, 1),
                        "test_loss": test_loss, "test_accuracy": test_accuracy})
    model.train()
    return history
'''
VALIDATION = '''
def validation(model, loader, criterion, device=None):
    if device is None:
        device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images = images.to(device).reshape(images.shape[0], -1)
            labels = labels.to(device)
            output = model(images)
            total += criterion(output, labels).item() * labels.shape[0]
            correct += (output.argmax(dim=1) == labels).sum().item()
            count += labels.shape[0]
    model.train(was_training)
    if count == 0:
        raise ValueError("no samples")
    return total / count, correct / count
'''
EVALUATE = '''
def evaluate_accuracy(data_iter, net, device=None):
    if device is None:
        device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for inputs, labels in data_iter:
            inputs, labels = inputs.to(device), labels.to(device)
            correct += (net(inputs).argmax(dim=1) == labels).sum().item()
            count += labels.shape[0]
    net.train(was_training)
    if count == 0:
        raise ValueError("no samples")
    return correct / count
'''


def _mutate(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


MUTANTS.update({
    # an explicit device replaced by the None rule: "cuda" given, the model's device (the CPU) used
    "validation_explicit_device_replaced": ("validation_flattens_and_moves_inputs",
                                            _mutate(VALIDATION, "if device is None:", "if device is not None:")),
    "evaluate_accuracy_explicit_device_replaced": ("evaluate_accuracy_inputs_as_they_come",
                                                   _mutate(EVALUATE, "if device is None:", "if device is not None:")),
    "train_explicit_device_replaced": ("train_device_and_mode",
                                       _mutate(TRAIN, "if device is None:", "if device is not None:")),
    # an explicit "cpu" that reaches CUDA
    "train_cpu_means_cuda_when_available": ("train_device_and_mode", _mutate(
        TRAIN, "    model.to(device)\n",
        "    if str(device) == 'cpu' and torch.cuda.is_available():\n        device = 'cuda'\n    model.to(device)\n")),
    # the batches move, the model stays where it was
    "train_model_left_behind": ("train_device_and_mode", _mutate(TRAIN, "    model.to(device)\n", "")),
    "train_model_moved_to_the_cpu": ("train_device_and_mode", _mutate(TRAIN, "    model.to(device)\n",
                                                                      "    model.cpu()\n")),
    "train_model_moved_where_it_is": ("train_device_and_mode", _mutate(
        TRAIN, "    model.to(device)\n", "    model.to(next(model.parameters()).device)\n")),
    # the edges: epochs=0 from eval mode, a loader of exactly one sample
    "train_zero_epochs_left_in_eval": ("train_device_and_mode", _mutate(TRAIN, "    model.train()\n    return",
                                                                        "    return")),
    "validation_one_sample_refused": ("validation_mean_loss_and_accuracy",
                                      _mutate(VALIDATION, "if count == 0:", "if count <= 1:")),
    "validation_one_sample_squeezed": ("validation_mean_loss_and_accuracy", _mutate(
        VALIDATION, "output = model(images)", "output = model(images).squeeze()")),
    "evaluate_accuracy_one_sample_refused": ("evaluate_accuracy_over_all_samples",
                                             _mutate(EVALUATE, "if count == 0:", "if count == 1:")),
    "train_one_sample_refused": ("train_loss_is_per_sample_mean", _mutate(
        TRAIN, "        test_loss, test_accuracy",
        "        if seen < 2:\n            raise ValueError('too few samples')\n        test_loss, test_accuracy")),
})
