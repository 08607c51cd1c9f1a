MUTANTS = {
    "flatten_with_view": ("flatten_images_in_place", '''
def flatten_images_(images):
    return images.view(images.shape[0], -1)
'''),
    "flatten_with_clone": ("flatten_images_in_place", '''
def flatten_images_(images):
    return images.clone().resize_(images.shape[0], images[0].numel())
'''),
    "flatten_column_major": ("flatten_images_in_place", '''
def flatten_images_(images):
    flat = images.permute(0, 3, 2, 1).reshape(images.shape[0], -1).clone()
    images.resize_(flat.shape)
    images.copy_(flat)
    return images
'''),
    "scale_out_of_place": ("scale_in_place", '''
def scale_(tensor, factor):
    return tensor * factor
'''),
    "from_numpy_copies": ("from_numpy_shares_memory", '''
def from_numpy_shared(array):
    return torch.tensor(array)
'''),
    "from_numpy_float32": ("from_numpy_shares_memory", '''
def from_numpy_shared(array):
    return torch.from_numpy(array).float()
'''),
    "to_numpy_copies": ("to_numpy_shares_memory", '''
def to_numpy_shared(tensor):
    if tensor.device.type != "cpu":
        raise ValueError("tensor must be on the CPU")
    return tensor.detach().clone().numpy()
'''),
    "to_numpy_no_detach": ("to_numpy_shares_memory", '''
def to_numpy_shared(tensor):
    if tensor.device.type != "cpu":
        raise ValueError("tensor must be on the CPU")
    return tensor.numpy()
'''),
    "to_numpy_moves_to_cpu": ("to_numpy_rejects_other_devices", '''
def to_numpy_shared(tensor):
    return tensor.detach().cpu().numpy()
'''),
    "to_numpy_type_error": ("to_numpy_rejects_other_devices", '''
def to_numpy_shared(tensor):
    if tensor.device.type != "cpu":
        raise TypeError("tensor must be on the CPU")
    return tensor.detach().numpy()
'''),
    "scale_indexes_past_the_end": ("scale_in_place", '''
def scale_(tensor, factor):
    sizes = list(tensor.shape)
    tensor.mul_(factor * sizes[5] / sizes[5])
    return tensor
'''),
}
