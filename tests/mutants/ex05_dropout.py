_INIT = '''
    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__()
        self.input_size, self.output_size, self.drop_p = input_size, output_size, drop_p
        sizes = [input_size, *hidden_layers]
        self.hidden_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.output = nn.Linear(sizes[-1], output_size)
        self.dropout = nn.Dropout(p=drop_p)
'''


def _forward(body: str) -> str:
    return "\nclass Network(nn.Module):" + _INIT + "\n    def forward(self, x):\n" + body


MUTANTS = {
    # ---- attributes ----
    "plain_list_of_layers": ("network_attributes", '''
class Network(nn.Module):
    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__()
        self.input_size, self.output_size, self.drop_p = input_size, output_size, drop_p
        sizes = [input_size, *hidden_layers]
        self.hidden_layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        self.output = nn.Linear(sizes[-1], output_size)
        self.dropout = nn.Dropout(p=drop_p)

    def forward(self, x):
        for layer in self.hidden_layers:
            x = self.dropout(F.relu(layer(x)))
        return F.log_softmax(self.output(x), dim=1)
'''),
    "dropout_ignores_drop_p": ("network_attributes", '''
_Base = Network
class Network(_Base):
    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__(input_size, output_size, hidden_layers, drop_p)
        self.dropout = nn.Dropout(p=0.5)
'''),
    "drop_p_not_stored": ("network_attributes", '''
_Base = Network
class Network(_Base):
    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__(input_size, output_size, hidden_layers, drop_p)
        del self.drop_p
'''),
    "output_reads_first_hidden": ("network_attributes", '''
_Base = Network
class Network(_Base):
    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__(input_size, output_size, hidden_layers, drop_p)
        self.output = nn.Linear(hidden_layers[0], output_size)

    def forward(self, x):
        x = F.relu(self.hidden_layers[0](x))
        return F.log_softmax(self.output(self.dropout(x)), dim=1)
'''),
    "pops_caller_list": ("network_attributes", '''
_Base = Network
class Network(_Base):
    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        first = hidden_layers.pop(0)
        super().__init__(input_size, output_size, [first, *hidden_layers], drop_p)
'''),
    # ---- eval forward ----
    "softmax_not_log": ("network_eval_forward", _forward('''
        for layer in self.hidden_layers:
            x = self.dropout(F.relu(layer(x)))
        return F.softmax(self.output(x), dim=1)
''')),
    "log_softmax_dim0": ("network_eval_forward", _forward('''
        for layer in self.hidden_layers:
            x = self.dropout(F.relu(layer(x)))
        return F.log_softmax(self.output(x), dim=0)
''')),
    "dropout_always_on": ("network_eval_forward", _forward('''
        for layer in self.hidden_layers:
            x = F.dropout(F.relu(layer(x)), self.drop_p)
        return F.log_softmax(self.output(x), dim=1)
''')),
    "no_relu": ("network_eval_forward", _forward('''
        for layer in self.hidden_layers:
            x = self.dropout(layer(x))
        return F.log_softmax(self.output(x), dim=1)
''')),
    "skips_last_hidden_layer": ("network_eval_forward", _forward('''
        for layer in self.hidden_layers[:-1]:
            x = self.dropout(F.relu(layer(x)))
        x = self.hidden_layers[-1](x)
        return F.log_softmax(self.output(x), dim=1)
''')),
    "forward_switches_to_eval": ("network_eval_forward", _forward('''
        self.train()
        for layer in self.hidden_layers:
            x = self.dropout(F.relu(layer(x)))
        self.eval()
        return F.log_softmax(self.output(x), dim=1)
''')),
    # ---- p = 0 / p = 1 ----
    "dropout_on_output_logits": ("network_dropout_p0_p1", _forward('''
        for layer in self.hidden_layers:
            x = F.relu(layer(x))
        return F.log_softmax(self.dropout(self.output(x)), dim=1)
''')),
    "no_dropout_after_last_hidden": ("network_dropout_p0_p1", _forward('''
        for i, layer in enumerate(self.hidden_layers):
            x = F.relu(layer(x))
            if i < len(self.hidden_layers) - 1:
                x = self.dropout(x)
        return F.log_softmax(self.output(x), dim=1)
''')),
    "fixed_half_dropout": ("network_dropout_p0_p1", _forward('''
        for layer in self.hidden_layers:
            x = F.dropout(F.relu(layer(x)), 0.5, self.training)
        return F.log_softmax(self.output(x), dim=1)
''')),
    "forward_leaves_eval_mode": ("network_dropout_p0_p1", _forward('''
        self.eval()
        for layer in self.hidden_layers:
            x = self.dropout(F.relu(layer(x)))
        return F.log_softmax(self.output(x), dim=1)
''')),
    # ---- randomness ----
    "no_dropout_at_all": ("network_train_randomness", _forward('''
        for layer in self.hidden_layers:
            x = F.relu(layer(x))
        return F.log_softmax(self.output(x), dim=1)
''')),
    "eval_still_random": ("network_train_randomness", _forward('''
        for layer in self.hidden_layers:
            x = F.dropout(F.relu(layer(x)), self.drop_p, training=True)
        return F.log_softmax(self.output(x), dim=1)
''')),
    # ---- placement ----
    "dropout_on_input_too": ("network_dropout_placement", _forward('''
        x = self.dropout(x)
        for layer in self.hidden_layers:
            x = self.dropout(F.relu(layer(x)))
        return F.log_softmax(self.output(x), dim=1)
''')),
    "dropout_before_linear": ("network_dropout_placement", _forward('''
        for layer in self.hidden_layers:
            x = F.relu(layer(self.dropout(x)))
        return F.log_softmax(self.output(x), dim=1)
''')),
    "dropout_twice_per_layer": ("network_dropout_placement", _forward('''
        for layer in self.hidden_layers:
            x = self.dropout(self.dropout(F.relu(layer(x))))
        return F.log_softmax(self.output(x), dim=1)
''')),
    "dropout_on_hidden_and_output": ("network_dropout_placement", _forward('''
        for layer in self.hidden_layers:
            x = self.dropout(F.relu(layer(x)))
        return F.log_softmax(self.dropout(self.output(x)), dim=1)
''')),
    # ---- device ----
    "hard_coded_cuda": ("network_on_device", _forward('''
        x = x.to("cuda")
        for layer in self.hidden_layers:
            x = self.dropout(F.relu(layer(x)))
        return F.log_softmax(self.output(x), dim=1)
''')),
}
