MUTANTS = {
    # ---- constants
    "mean_std_swapped": ("imagenet_constants", '''
IMAGENET_MEAN, IMAGENET_STD = (0.229, 0.224, 0.225), (0.485, 0.456, 0.406)
'''),
    "mean_rounded": ("imagenet_constants", '''
IMAGENET_MEAN = (0.5, 0.5, 0.5)
'''),
    # ---- training pipeline, by its steps
    "train_rotation_15": ("train_transform_steps", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(15), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "train_no_flip": ("train_transform_steps", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size)]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "train_random_crop_instead_of_resized": ("train_transform_steps", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.Resize(image_size), transforms.RandomCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "train_crop_fixed_224": ("train_transform_steps", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                 transforms.Resize(image_size)]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "train_flip_before_rotation": ("train_transform_steps", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomHorizontalFlip(), transforms.RandomRotation(30),
                 transforms.RandomResizedCrop(image_size)]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "train_v2_no_scale": ("train_transform_steps", '''
import torch
from torchvision.transforms import v2

def build_transforms(train, image_size=224):
    if train:
        steps = [v2.RandomRotation(30), v2.RandomResizedCrop(image_size), v2.RandomHorizontalFlip()]
    else:
        steps = [v2.Resize(image_size * 256 // 224), v2.CenterCrop(image_size)]
    return v2.Compose(steps + [v2.ToImage(), v2.ToDtype(torch.float32), v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    # ---- test pipeline, by its steps
    "test_resize_square": ("test_transform_steps", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        n = image_size * 256 // 224
        steps = [transforms.Resize((n, n)), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "test_resize_fixed_256": ("test_transform_steps", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(256), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "test_no_normalize": ("test_transform_steps", '''
def build_transforms(train, image_size=224):
    if train:
        return transforms.Compose([transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                   transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    return transforms.Compose([transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size),
                               transforms.ToTensor()])
'''),
    # ---- effects
    "test_without_center_crop": ("transforms_output_shape", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(image_size * 256 // 224)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "no_to_tensor": ("transforms_output_shape", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps)
'''),
    "default_size_256": ("transforms_output_shape", '''
_reference_build = build_transforms

def build_transforms(train, image_size=256):
    return _reference_build(train, image_size)
'''),
    "test_nearest_resize": ("test_transform_matches_torchvision", '''
from torchvision.transforms import InterpolationMode

def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(image_size * 256 // 224, interpolation=InterpolationMode.NEAREST),
                 transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "test_normalize_half": ("test_transform_matches_torchvision", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
'''),
    "test_float_before_resize": ("test_transform_matches_torchvision", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip(), transforms.ToTensor()]
    else:
        steps = [transforms.ToTensor(), transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "test_random_crop": ("test_transform_deterministic", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.RandomCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "train_is_test_pipeline": ("train_transform_random", '''
def build_transforms(train, image_size=224):
    steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
'''),
    "train_normalize_arguments_swapped": ("train_transform_normalised", '''
def build_transforms(train, image_size=224):
    if train:
        steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
                 transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize(IMAGENET_STD, IMAGENET_MEAN)]
    else:
        steps = [transforms.Resize(image_size * 256 // 224), transforms.CenterCrop(image_size),
                 transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    return transforms.Compose(steps)
'''),
    "train_as_plain_function_unnormalised": ("train_transform_normalised", '''
def build_transforms(train, image_size=224):
    steps = [transforms.RandomRotation(30), transforms.RandomResizedCrop(image_size),
             transforms.RandomHorizontalFlip()] if train else [transforms.Resize(image_size * 256 // 224),
                                                              transforms.CenterCrop(image_size)]
    pipeline = transforms.Compose(steps + [transforms.ToTensor()])
    return lambda image: pipeline(image) * 2 - 1
'''),
    # ---- image_folder_loader
    "folder_returns_dataset": ("image_folder_loader_dataset", '''
def image_folder_loader(root, transform, batch_size=32, shuffle=False):
    return datasets.ImageFolder(root, transform=transform)
'''),
    "folder_of_first_class_only": ("image_folder_loader_dataset", '''
import os

def image_folder_loader(root, transform, batch_size=32, shuffle=False):
    dataset = datasets.ImageFolder(root, transform=transform)
    cats = [i for i, (_, label) in enumerate(dataset.samples) if label == 0]
    return DataLoader(torch.utils.data.Subset(dataset, cats), batch_size=batch_size, shuffle=shuffle)
import torch
'''),
    "folder_drop_last": ("image_folder_loader_batches", '''
def image_folder_loader(root, transform, batch_size=32, shuffle=False):
    return DataLoader(datasets.ImageFolder(root, transform=transform), batch_size=batch_size, shuffle=shuffle,
                      drop_last=True)
'''),
    "folder_batch_size_ignored": ("image_folder_loader_batches", '''
def image_folder_loader(root, transform, batch_size=32, shuffle=False):
    return DataLoader(datasets.ImageFolder(root, transform=transform), batch_size=4, shuffle=shuffle)
'''),
    "folder_always_shuffles": ("image_folder_loader_batches", '''
def image_folder_loader(root, transform, batch_size=32, shuffle=False):
    return DataLoader(datasets.ImageFolder(root, transform=transform), batch_size=batch_size, shuffle=True)
'''),
    "folder_own_transform": ("image_folder_loader_batches", '''
def image_folder_loader(root, transform, batch_size=32, shuffle=False):
    size = transform.transforms[0].size if hasattr(transform, "transforms") else (32, 32)
    own = transforms.Compose([transforms.Resize(size), transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    return DataLoader(datasets.ImageFolder(root, transform=own), batch_size=batch_size, shuffle=shuffle)
'''),
    "folder_default_shuffle_true": ("image_folder_loader_defaults", '''
def image_folder_loader(root, transform, batch_size=32, shuffle=True):
    return DataLoader(datasets.ImageFolder(root, transform=transform), batch_size=batch_size, shuffle=shuffle)
'''),
    "folder_default_batch_64": ("image_folder_loader_defaults", '''
def image_folder_loader(root, transform, batch_size=64, shuffle=False):
    return DataLoader(datasets.ImageFolder(root, transform=transform), batch_size=batch_size, shuffle=shuffle)
'''),
    "folder_never_shuffles": ("image_folder_loader_shuffles", '''
def image_folder_loader(root, transform, batch_size=32, shuffle=False):
    return DataLoader(datasets.ImageFolder(root, transform=transform), batch_size=batch_size)
'''),
    "folder_shuffled_once": ("image_folder_loader_shuffles", '''
import torch

def image_folder_loader(root, transform, batch_size=32, shuffle=False):
    dataset = datasets.ImageFolder(root, transform=transform)
    if shuffle:
        dataset = torch.utils.data.Subset(dataset, torch.randperm(len(dataset)).tolist())
    return DataLoader(dataset, batch_size=batch_size)
'''),
    # ---- tensor_loader
    "tensor_returns_list_of_batches": ("tensor_loader_dataset", '''
def tensor_loader(x, y, batch_size, shuffle=True):
    return list(DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle))
'''),
    "tensor_dataset_of_x_only": ("tensor_loader_dataset", '''
import torch

class _Pairs(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        return self.x[i], self.y[i]

def tensor_loader(x, y, batch_size, shuffle=True):
    return DataLoader(_Pairs(x, y), batch_size=batch_size, shuffle=shuffle)
'''),
    "tensor_drop_last": ("tensor_loader_in_order", '''
def tensor_loader(x, y, batch_size, shuffle=True):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, drop_last=True)
'''),
    "tensor_labels_as_float": ("tensor_loader_in_order", '''
def tensor_loader(x, y, batch_size, shuffle=True):
    return DataLoader(TensorDataset(x, y.float()), batch_size=batch_size, shuffle=shuffle)
'''),
    "tensor_flattens_x": ("tensor_loader_in_order", '''
def tensor_loader(x, y, batch_size, shuffle=True):
    return DataLoader(TensorDataset(x.reshape(x.shape[0], -1), y), batch_size=batch_size, shuffle=shuffle)
'''),
    "tensor_always_shuffles": ("tensor_loader_in_order", '''
def tensor_loader(x, y, batch_size, shuffle=True):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
'''),
    "tensor_shuffles_x_in_place": ("tensor_loader_in_order", '''
import torch

def tensor_loader(x, y, batch_size, shuffle=True):
    x.add_(0)
    x[0], x[-1] = x[-1].clone(), x[0].clone()
    y[0], y[-1] = y[-1].clone(), y[0].clone()
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
'''),
    "tensor_never_shuffles": ("tensor_loader_shuffles", '''
def tensor_loader(x, y, batch_size, shuffle=True):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size)
'''),
    "tensor_with_replacement": ("tensor_loader_shuffles", '''
from torch.utils.data import RandomSampler

def tensor_loader(x, y, batch_size, shuffle=True):
    dataset = TensorDataset(x, y)
    sampler = RandomSampler(dataset, replacement=True) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
'''),
    "tensor_shuffles_x_and_y_separately": ("tensor_loader_shuffles", '''
import torch

def tensor_loader(x, y, batch_size, shuffle=True):
    if shuffle:
        y = y[torch.randperm(len(y))]
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
'''),
    "tensor_default_no_shuffle": ("tensor_loader_shuffles_by_default", '''
def tensor_loader(x, y, batch_size, shuffle=False):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
'''),
}
