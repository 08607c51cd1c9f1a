MUTANTS = {
    # ---- Network ----
    "network_fc2_too_small": ("network_layers", '''
class Network(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 32)
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        return F.softmax(self.fc3(F.relu(self.fc2(F.relu(self.fc1(x))))), dim=1)
'''),
    "network_layers_in_sequential": ("network_layers", '''
class Network(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return F.softmax(self.body(x), dim=1)
'''),
    "network_softmax_dim0": ("network_forward", '''
_Base = Network
class Network(_Base):
    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.softmax(self.fc3(x), dim=0)
'''),
    "network_no_relu_after_fc2": ("network_forward", '''
_Base = Network
class Network(_Base):
    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.softmax(self.fc3(x), dim=1)
'''),
    "network_relu_on_output": ("network_forward", '''
_Base = Network
class Network(_Base):
    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.softmax(F.relu(self.fc3(x)), dim=1)
'''),
    "network_log_softmax": ("network_forward", '''
_Base = Network
class Network(_Base):
    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)
'''),
    "network_forward_sets_eval": ("network_forward", '''
_Base = Network
class Network(_Base):
    def forward(self, x):
        self.eval()
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.softmax(self.fc3(x), dim=1)
'''),
    # ---- init_weights_ ----
    "init_children_only": ("init_weights_linear_layers", '''
def init_weights_(model, std=0.01):
    with torch.no_grad():
        for m in model.children():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, std)
                m.bias.fill_(0)
    return model
'''),
    "init_std_as_variance": ("init_weights_linear_layers", '''
def init_weights_(model, std=0.01):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, std ** 2)
                m.bias.fill_(0)
    return model
'''),
    "init_ignores_std": ("init_weights_linear_layers", '''
def init_weights_(model, std=0.01):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, 0.01)
                m.bias.fill_(0)
    return model
'''),
    "init_uniform": ("init_weights_linear_layers", '''
def init_weights_(model, std=0.01):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.uniform_(-std * 3 ** 0.5, std * 3 ** 0.5)
                m.bias.fill_(0)
    return model
'''),
    "init_bias_not_zeroed": ("init_weights_linear_layers", '''
def init_weights_(model, std=0.01):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, std)
    return model
'''),
    "init_every_matrix": ("init_weights_linear_layers", '''
def init_weights_(model, std=0.01):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight"):
                p.normal_(0, std)
            else:
                p.fill_(0)
    return model
'''),
    "init_returns_none": ("init_weights_in_place", '''
def init_weights_(model, std=0.01):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, std)
                m.bias.fill_(0)
'''),
    "init_new_parameters": ("init_weights_in_place", '''
def init_weights_(model, std=0.01):
    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.weight = nn.Parameter(torch.randn_like(m.weight) * std)
            m.bias = nn.Parameter(torch.zeros_like(m.bias))
    return model
'''),
    "init_grad_mode_left_off": ("init_weights_in_place", '''
def init_weights_(model, std=0.01):
    torch.set_grad_enabled(False)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.weight.normal_(0, std)
            m.bias.fill_(0)
    return model
'''),
    "init_requires_grad_off": ("init_weights_in_place", '''
def init_weights_(model, std=0.01):
    for m in model.modules():
        if isinstance(m, nn.Linear):
            m.weight.requires_grad_(False)
            m.weight.normal_(0, std)
            m.bias.requires_grad_(False)
            m.bias.fill_(0)
    return model
'''),
    "init_sets_train_mode": ("init_weights_in_place", '''
def init_weights_(model, std=0.01):
    model.train()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0, std)
                m.bias.fill_(0)
    return model
'''),
    # ---- build_sequential ----
    "seq_names_from_zero": ("build_sequential_layers", '''
def build_sequential(input_size=784, hidden_sizes=(128, 64), output_size=10):
    layers = OrderedDict()
    sizes = [input_size, *hidden_sizes]
    for k in range(len(hidden_sizes)):
        layers[f"fc{k}"] = nn.Linear(sizes[k], sizes[k + 1])
        layers[f"relu{k}"] = nn.ReLU()
    layers["output"] = nn.Linear(sizes[-1], output_size)
    layers["softmax"] = nn.Softmax(dim=1)
    return nn.Sequential(layers)
'''),
    "seq_two_hidden_only": ("build_sequential_layers", '''
def build_sequential(input_size=784, hidden_sizes=(128, 64), output_size=10):
    return nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(input_size, hidden_sizes[0])), ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(hidden_sizes[0], hidden_sizes[-1])), ("relu2", nn.ReLU()),
        ("output", nn.Linear(hidden_sizes[-1], output_size)), ("softmax", nn.Softmax(dim=1)),
    ]))
'''),
    "seq_softmax_dim0": ("build_sequential_layers", '''
def build_sequential(input_size=784, hidden_sizes=(128, 64), output_size=10):
    layers = OrderedDict()
    sizes = [input_size, *hidden_sizes]
    for k in range(1, len(sizes)):
        layers[f"fc{k}"] = nn.Linear(sizes[k - 1], sizes[k])
        layers[f"relu{k}"] = nn.ReLU()
    layers["output"] = nn.Linear(sizes[-1], output_size)
    layers["softmax"] = nn.Softmax(dim=0)
    return nn.Sequential(layers)
'''),
    "seq_unnamed_layers": ("build_sequential_layers", '''
def build_sequential(input_size=784, hidden_sizes=(128, 64), output_size=10):
    layers = []
    sizes = [input_size, *hidden_sizes]
    for k in range(1, len(sizes)):
        layers += [nn.Linear(sizes[k - 1], sizes[k]), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], output_size), nn.Softmax(dim=1))
'''),
    "seq_mutates_hidden_sizes": ("build_sequential_layers", '''
def build_sequential(input_size=784, hidden_sizes=(128, 64), output_size=10):
    sizes = hidden_sizes if isinstance(hidden_sizes, list) else list(hidden_sizes)
    sizes.insert(0, input_size)
    layers = OrderedDict()
    for k in range(1, len(sizes)):
        layers[f"fc{k}"] = nn.Linear(sizes[k - 1], sizes[k])
        layers[f"relu{k}"] = nn.ReLU()
    layers["output"] = nn.Linear(sizes[-1], output_size)
    layers["softmax"] = nn.Softmax(dim=1)
    return nn.Sequential(layers)
'''),
    "seq_relu_before_linear": ("build_sequential_forward", '''
def build_sequential(input_size=784, hidden_sizes=(128, 64), output_size=10):
    layers = OrderedDict()
    sizes = [input_size, *hidden_sizes]
    for k in range(1, len(sizes)):
        layers[f"relu{k}"] = nn.ReLU()
        layers[f"fc{k}"] = nn.Linear(sizes[k - 1], sizes[k])
    layers["output"] = nn.Linear(sizes[-1], output_size)
    layers["softmax"] = nn.Softmax(dim=1)
    return nn.Sequential(layers)
'''),
    # ---- CustomLayer ----
    "layer_padding_one": ("custom_layer_forward", '''
class CustomLayer(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 3, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(3, out_channels, kernel_size=2, padding=1)

    def forward(self, x):
        return self.conv2(self.conv1(x))
'''),
    "layer_no_padding": ("custom_layer_forward", '''
class CustomLayer(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 3, kernel_size=3)
        self.conv2 = nn.Conv2d(3, out_channels, kernel_size=2)

    def forward(self, x):
        return self.conv2(self.conv1(x))
'''),
    "layer_relu_between": ("custom_layer_forward", '''
_Base = CustomLayer
class CustomLayer(_Base):
    def forward(self, x):
        return self.conv2(F.relu(self.conv1(x)))
'''),
    "layer_kernels_swapped": ("custom_layer_convs", '''
class CustomLayer(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 3, kernel_size=2, padding="same")
        self.conv2 = nn.Conv2d(3, out_channels, kernel_size=3, padding="same")

    def forward(self, x):
        return self.conv2(self.conv1(x))
'''),
    "layer_fixed_channels": ("custom_layer_convs", '''
class CustomLayer(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 3, kernel_size=3, padding="same")
        self.conv2 = nn.Conv2d(3, in_channels, kernel_size=2, padding="same")

    def forward(self, x):
        return self.conv2(self.conv1(x))
'''),
    # ---- CustomModel ----
    "model_plain_list": ("custom_model_layers", '''
class CustomModel(nn.Module):
    def __init__(self, num_layers=3, channels=1):
        super().__init__()
        self.layers = [CustomLayer(channels, channels) for _ in range(num_layers)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
'''),
    "model_one_block_repeated": ("custom_model_layers", '''
class CustomModel(nn.Module):
    def __init__(self, num_layers=3, channels=1):
        super().__init__()
        self.layers = nn.ModuleList([CustomLayer(channels, channels)] * num_layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
'''),
    "model_off_by_one": ("custom_model_layers", '''
class CustomModel(nn.Module):
    def __init__(self, num_layers=3, channels=1):
        super().__init__()
        self.layers = nn.ModuleList(CustomLayer(channels, channels) for _ in range(num_layers - 1))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
'''),
    "model_reversed_order": ("custom_model_forward", '''
_Base = CustomModel
class CustomModel(_Base):
    def forward(self, x):
        for layer in reversed(self.layers):
            x = layer(x)
        return x
'''),
    "model_first_block_only": ("custom_model_forward", '''
_Base = CustomModel
class CustomModel(_Base):
    def forward(self, x):
        return self.layers[0](x)
'''),
}
