"""PyTorch's helpers of ``torch.nn.modules.utils``, which layers written for PyTorch import: ``_pair``
and its kin (an int repeated into a tuple, any other iterable made a tuple, as PyTorch's layers read
their sizes) and ``consume_prefix_in_state_dict_if_present`` (a DataParallel model's state dict made
loadable by the bare model)."""
import collections.abc
import itertools

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n, name="parse"):
    """A function taking an int (or any non-iterable) to n copies of it in a tuple, an iterable to a tuple."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(itertools.repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """The sizes of ``t`` last first, each repeated n times: a layer's (H, W) padding as F.pad's
    (left, right, top, bottom)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` (say "module.", what DataParallel and DistributedDataParallel put before every
    key) from the keys of ``state_dict`` that start with it, in place; the other keys stay as they are."""
    for key in list(state_dict):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
