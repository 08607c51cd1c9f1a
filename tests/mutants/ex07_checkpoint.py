MUTANTS = {
    # ---- save_checkpoint ----
    "save_hidden_layers_module_list": ("save_checkpoint_contents", '''
def save_checkpoint(model, path):
    torch.save({"input_size": model.input_size, "output_size": model.output_size,
                "hidden_layers": model.hidden_layers, "drop_p": model.drop_p,
                "state_dict": model.state_dict()}, path)
'''),
    "save_whole_model": ("save_checkpoint_contents", '''
def save_checkpoint(model, path):
    torch.save(model, path)
'''),
    "save_in_features": ("save_checkpoint_contents", '''
def save_checkpoint(model, path):
    torch.save({"input_size": model.input_size, "output_size": model.output_size,
                "hidden_layers": [layer.in_features for layer in model.hidden_layers],
                "drop_p": model.drop_p, "state_dict": model.state_dict()}, path)
'''),
    "save_without_drop_p": ("save_checkpoint_contents", '''
def save_checkpoint(model, path):
    torch.save({"input_size": model.input_size, "output_size": model.output_size,
                "hidden_layers": [layer.out_features for layer in model.hidden_layers],
                "state_dict": model.state_dict()}, path)
'''),
    "save_hidden_layers_tuple": ("save_checkpoint_contents", '''
def save_checkpoint(model, path):
    torch.save({"input_size": model.input_size, "output_size": model.output_size,
                "hidden_layers": tuple(layer.out_features for layer in model.hidden_layers),
                "drop_p": model.drop_p, "state_dict": model.state_dict()}, path)
'''),
    "save_switches_to_eval": ("save_checkpoint_leaves_model_alone", '''
_reference_save = save_checkpoint
def save_checkpoint(model, path):
    model.eval()
    _reference_save(model, path)
'''),
    # ---- load_checkpoint ----
    "load_ignores_drop_p": ("load_checkpoint_restores_network", '''
def load_checkpoint(path, device="cpu"):
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
    "load_forgets_weights": ("load_checkpoint_restores_network", '''
def load_checkpoint(path, device="cpu"):
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    return model.to(device).eval()
'''),
    "load_forgets_eval": ("load_checkpoint_device_and_eval_mode", '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device)
'''),
    "load_hard_codes_cuda": ("load_checkpoint_device_and_eval_mode", '''
_reference_load = load_checkpoint
def load_checkpoint(path, device="cpu"):
    return _reference_load(path, "cuda")
'''),
    "load_default_none": ("load_checkpoint_device_and_eval_mode", '''
_reference_load = load_checkpoint
def load_checkpoint(path, device=None):
    return _reference_load(path, device)
'''),
    "load_none_means_cpu": ("load_checkpoint_device_and_eval_mode", '''
_reference_load = load_checkpoint
def load_checkpoint(path, device="cpu"):
    return _reference_load(path, "cpu" if device is None else device)
'''),
    "load_none_keeps_saved_device": ("load_checkpoint_device_and_eval_mode", '''
def load_checkpoint(path, device="cpu"):
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    if device is not None:
        model.to(device)
    return model.eval()
'''),
    "load_old_format_drop_p_none": ("load_checkpoint_old_format", '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p"))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
    "load_old_format_drop_p_zero": ("load_checkpoint_old_format", '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.0))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
    "load_uses_get": ("load_checkpoint_missing_key", '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint.get("input_size"), checkpoint.get("output_size"),
                    checkpoint.get("hidden_layers"), checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint.get("state_dict"))
    return model.to(device).eval()
'''),
    "load_vague_key_error": ("load_checkpoint_missing_key", '''
_reference_load = load_checkpoint
def load_checkpoint(path, device="cpu"):
    try:
        return _reference_load(path, device)
    except KeyError:
        raise KeyError("the checkpoint is incomplete") from None
'''),
    "load_missing_key_value_error": ("load_checkpoint_missing_key", '''
_reference_load = load_checkpoint
def load_checkpoint(path, device="cpu"):
    try:
        return _reference_load(path, device)
    except KeyError as exc:
        raise ValueError(f"missing {exc}") from None
'''),
    "load_weights_only_false": ("load_checkpoint_refuses_pickled_code", '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = torch.load(path, weights_only=False, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
    "load_without_weights_only": ("load_checkpoint_refuses_pickled_code", '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = torch.load(path, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
    "load_without_weights_only_imported_load": ("load_checkpoint_refuses_pickled_code", '''
from torch.serialization import load as _load
def load_checkpoint(path, device="cpu"):
    checkpoint = _load(path, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
    "load_unpickles_then_rejects_extra_keys": ("load_checkpoint_refuses_pickled_code", '''
def load_checkpoint(path, device="cpu"):
    checkpoint = torch.load(path, weights_only=False, map_location=device)
    if set(checkpoint) - {"input_size", "output_size", "hidden_layers", "drop_p", "state_dict"}:
        raise ValueError("unexpected entries in the checkpoint")
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
    "load_refuses_everything": ("load_checkpoint_refuses_pickled_code", '''
def load_checkpoint(path, device="cpu"):
    raise RuntimeError("refusing to load " + str(path))
'''),
    # The CUDA-saved file only fails to load without map_location on a machine without CUDA.
    "load_without_map_location": ("load_checkpoint_cuda_saved_file", '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = torch.load(path, weights_only=True)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
    "load_map_location_none_for_none": ("load_checkpoint_cuda_saved_file", '''
def load_checkpoint(path, device="cpu"):
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    if device is not None:
        model.to(device)
    return model.eval()
'''),
    "load_old_gpu_file_wrong_drop_p": ("load_checkpoint_cuda_saved_file", '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.2))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
'''),
}

# ---- device arguments: one-line changes of a correct load_checkpoint ----
LOAD = '''
def load_checkpoint(path, device="cpu"):
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    checkpoint = torch.load(path, weights_only=True, map_location=device)
    for key in ("input_size", "output_size", "hidden_layers", "state_dict"):
        if key not in checkpoint:
            raise KeyError(key)
    model = Network(checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"],
                    checkpoint.get("drop_p", 0.5))
    model.load_state_dict(checkpoint["state_dict"])
    model.to(device)
    model.eval()
    return model
'''


def _mutate(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new, 1)


MUTANTS.update({
    # an explicit device replaced by the None rule: "cpu" given, CUDA used where available
    "load_explicit_device_replaced": ("load_checkpoint_device_and_eval_mode",
                                      _mutate(LOAD, "if device is None:", "if device is not None:")),
    # the tensors load on the device, the network stays on the CPU
    "load_model_left_behind": ("load_checkpoint_device_and_eval_mode", _mutate(LOAD, "    model.to(device)\n", "")),
    "load_model_moved_to_the_cpu": ("load_checkpoint_device_and_eval_mode",
                                    _mutate(LOAD, "    model.to(device)\n", "    model.cpu()\n")),
    "load_model_moved_to_default": ("load_checkpoint_device_and_eval_mode",
                                    _mutate(LOAD, "    model.to(device)\n", "    model.to('cpu')\n")),
})
