"""The catalog of common PyTorch and Python errors: what each one means for a learner, as hints.

Each entry names the exception types it applies to, a pattern its message matches, and hints from
the gentlest to the most revealing (the last one may point at the documentation, never at the
answer). :func:`hints_for` gives the hints of the first entry that matches; an exception no entry
matches still gets its type's general hints, so a failure is never a bare exception. The hints are
marked with ``N_`` and translated where they are shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.engine.i18n import N_, _


@dataclass(frozen=True)
class KnownError:
    """One kind of error: the exception types (by name; empty: any), a message pattern, the hints."""

    name: str
    types: tuple[str, ...]
    pattern: str
    hints: tuple[str, ...]

    def matches(self, exc: BaseException) -> bool:
        if self.types and type(exc).__name__ not in self.types:
            return False
        return re.search(self.pattern, str(exc), re.IGNORECASE | re.DOTALL) is not None


CATALOG: tuple[KnownError, ...] = (
    KnownError("in_place_on_leaf", ("RuntimeError",), r"leaf Variable that requires grad .* in-place", (
        N_("You changed a tensor that requires grad in place (an op ending in _, or x[...] = ...) while autograd "
           "was recording."),
        N_("Updates of parameters belong inside `with torch.no_grad():`, or work on a copy (x.clone()) instead."),
        N_("See \"In-place operations with autograd\" in PyTorch's autograd notes (docs: notes/autograd)."),
    )),
    KnownError("modified_by_in_place", ("RuntimeError",), r"modified by an inplace operation", (
        N_("A tensor that backward() still needs was changed in place after it was used."),
        N_("Use the out-of-place form (x = x * 2, not x.mul_(2); torch.relu, not relu_) for values that later "
           "steps need."),
        N_("See \"In-place correctness checks\" in PyTorch's autograd notes (docs: notes/autograd)."),
    )),
    KnownError("numpy_with_grad", ("RuntimeError",), r"numpy\(\) on Tensor that requires grad", (
        N_("A tensor that requires grad cannot become a NumPy array directly."),
        N_("Call .detach() first: tensor.detach().cpu().numpy()."),
    )),
    KnownError("numpy_off_cpu", ("TypeError", "RuntimeError"), r"(convert|numpy).*(cuda|meta|device type)", (
        N_("Only a tensor on the CPU can become a NumPy array."),
        N_("Check tensor.device first; move it with tensor.cpu(), or raise the error the docstring asks for."),
    )),
    KnownError("device_mismatch", ("RuntimeError",),
               r"same device|Expected object of device type|cuda.*should be the same|should be the same.*cuda", (
        N_("Two tensors (or a model and its input) are on different devices."),
        N_("Move the model and every tensor to the same device with .to(device); new tensors need "
           "device=... too."),
        N_("See \"CUDA semantics\" in the PyTorch documentation (docs: notes/cuda)."),
    )),
    KnownError("unknown_device", ("RuntimeError",), r"device type at start of device string|Invalid device string", (
        N_("That is not a device name PyTorch knows."),
        N_("Use \"cpu\", \"cuda\" or \"cuda:0\", or better, the device argument you were given."),
    )),
    KnownError("no_cuda", ("RuntimeError", "AssertionError"), r"NVIDIA driver|Torch not compiled with CUDA|"
               r"CUDA is not available|no CUDA GPUs|deserialize object on a CUDA device", (
        N_("Your code asked for CUDA on a machine that has none."),
        N_("Use the device argument instead of a fixed \"cuda\", and map_location when you load a checkpoint "
           "saved on a GPU."),
    )),
    KnownError("matmul_shapes", ("RuntimeError",), r"shapes cannot be multiplied|size mismatch", (
        N_("A matrix product (often a nn.Linear layer) got an input whose last size is not its in_features."),
        N_("Print x.shape just before the failing line and compare with the layer's in_features; flatten "
           "images with x.flatten(1)."),
        N_("See the shape rules of torch.nn.Linear and torch.matmul in the PyTorch documentation."),
    )),
    KnownError("broadcast_shapes", ("RuntimeError",), r"size of tensor a .* must match|Sizes of tensors must match", (
        N_("Two tensors with shapes that do not fit were combined."),
        N_("Print the shapes of both sides; a missing or extra dimension (keepdim, unsqueeze) is the usual cause."),
        N_("See \"Broadcasting semantics\" in the PyTorch documentation (docs: notes/broadcasting)."),
    )),
    KnownError("reshape", ("RuntimeError",), r"shape '.*' is invalid for input of size|view size is not compatible", (
        N_("The new shape does not hold the same number of elements, or view() cannot be used here."),
        N_("Compute the sizes from the input (x.shape[0], -1) instead of writing numbers; use reshape() where "
           "view() refuses."),
    )),
    KnownError("channels", ("RuntimeError",), r"expected input.* to have \d+ channels", (
        N_("A convolution got an input with a different number of channels than its in_channels."),
        N_("Images are (N, C, H, W): check the order of the dimensions and the layer's in_channels."),
    )),
    KnownError("dtype", ("RuntimeError", "TypeError"),
               r"dtype|scalar type|expected .* but found|can't be cast|Expected object of scalar type", (
        N_("Two tensors of different dtypes (float32 and float64, or integers where floats belong) met."),
        N_("Print x.dtype of the inputs; convert with .float() or .long() where the docstring says which "
           "dtype to use."),
        N_("See \"Tensor attributes: torch.dtype\" in the PyTorch documentation."),
    )),
    KnownError("backward_twice", ("RuntimeError",), r"backward through the graph a second time", (
        N_("backward() ran twice through the same graph."),
        N_("Build the graph again for each step (compute the loss inside the loop), or zero the gradients "
           "and recompute."),
    )),
    KnownError("no_grad_fn", ("RuntimeError",), r"does not require grad and does not have a grad_fn", (
        N_("backward() was called on a value that autograd did not record."),
        N_("The graph was cut: look for .detach(), .item(), torch.no_grad() or a new torch.tensor(...) "
           "between the parameters and the loss."),
    )),
    KnownError("state_dict_keys", ("RuntimeError",), r"Error\(s\) in loading state_dict|Missing key|Unexpected key", (
        N_("The checkpoint's keys do not match the model's parameters."),
        N_("Save and load model.state_dict() of the same architecture; compare the keys of both "
           "(print(checkpoint.keys()))."),
        N_("See \"Saving and loading models\" in the PyTorch tutorials."),
    )),
    KnownError("checkpoint_key", ("KeyError",), r"'[\w.]*(state|model|optim|epoch|step|loss)[\w.]*'", (
        N_("A key your code looks up is not in the checkpoint (or dict) it reads."),
        N_("Print the dict's keys; the docstring says which keys the checkpoint must hold, and an older "
           "format may lack some."),
    )),
    KnownError("none_grad", ("AttributeError", "TypeError"), r"'NoneType'|NoneType", (
        N_("A value is None where a tensor was expected: often a .grad before any backward(), or a function "
           "that forgot to return."),
        N_("A parameter's .grad is None until backward() reaches it (and for frozen parameters): skip or "
           "check `p.grad is None`; make sure every function returns its result."),
    )),
    KnownError("index_out_of_range", ("IndexError",), r"out of range|out of bounds", (
        N_("An index is past the end of a list, tensor or dimension."),
        N_("Print the length or shape next to the index; loops over layers or batches should use len(...) or "
           "enumerate(...), and class labels must be below the number of classes."),
    )),
    KnownError("not_implemented_by_torch", ("NotImplementedError",), r"", (
        N_("PyTorch does not support this operation for these tensors (this is PyTorch's NotImplementedError, "
           "not the stub's)."),
        N_("Check the tensors' device (\"meta\" tensors hold no data) and dtype before the failing line."),
    )),
    KnownError("key", ("KeyError",), r"", (
        N_("A dict lookup used a key that is not there."),
        N_("Print the dict's keys next to the key you asked for (spelling, str versus int)."),
    )),
    KnownError("index", ("IndexError",), r"", (
        N_("An index does not exist in that list or tensor."),
        N_("Print the length or shape next to the index."),
    )),
    KnownError("name", ("NameError", "UnboundLocalError"), r"", (
        N_("A name is used before it is defined (a typo, or a variable set only in another function or cell)."),
        N_("Check the spelling, and that every cell the code needs has been run (in a notebook)."),
    )),
    KnownError("attribute", ("AttributeError",), r"", (
        N_("An object does not have the attribute or method your code asks for."),
        N_("Check the spelling and the object's type (print(type(x))); in a module, layers must be set in "
           "__init__ as self.name = ..."),
    )),
    KnownError("type", ("TypeError",), r"", (
        N_("A function got an argument of the wrong kind or number."),
        N_("Compare the call with the function's signature in the docstring (names, order, types)."),
    )),
    KnownError("value", ("ValueError",), r"", (
        N_("A function got a value it cannot use."),
        N_("Read the error message for which value, and print it just before the failing line."),
    )),
    KnownError("zero_division", ("ZeroDivisionError",), r"", (
        N_("A division by zero: an empty list or batch, or a count that stayed 0."),
        N_("Check that the loop ran at least once before dividing by its count."),
    )),
    KnownError("recursion", ("RecursionError",), r"", (
        N_("A function calls itself without end (often forward() calling self(x), or a property returning itself)."),
        N_("Call the layers, not the module itself, inside forward()."),
    )),
    KnownError("any", (), r"", (
        N_("Your code stopped with the exception shown above, at the line shown."),
        N_("Print the values used on that line just before it; compare them with what the docstring promises."),
    )),
)


def hints_for(exc: BaseException) -> tuple[str, ...]:
    """The translated hints of the first catalog entry that matches ``exc``, gentlest first."""
    entry = known(exc)
    return tuple(_(hint) for hint in entry.hints)


def known(exc: BaseException) -> KnownError:
    """The first catalog entry that matches ``exc`` (the last entry matches every exception)."""
    return next(entry for entry in CATALOG if entry.matches(exc))
