"""PyTorch's first way of choosing a loss's reduction, still found in older code: two flags.

    size_average=False          -> reduction="sum"
    reduce=False                -> reduction="none" (whatever size_average says)
    size_average=True/None and reduce=True/None -> reduction="mean"

Every loss that took them in PyTorch takes them here, at the same positions; as in PyTorch, they
win over ``reduction`` when given, with a warning that ``reduction`` is the way to say it.
"""
from ...user_warnings import warn


def legacy_reduction(size_average, reduce, reduction, name):
    """The reduction to use: ``reduction``, or the one the old flags mean when either is given."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        meant = "none"
    else:
        meant = "sum" if size_average is False else "mean"
    warn(f"{name}: size_average and reduce are deprecated (as in PyTorch); write reduction={meant!r} instead")
    return meant
