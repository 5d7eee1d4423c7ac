"""PyTorch's older size_average/reduce flags (nn/functional/legacy_reduction.py): every loss that
took them takes them at PyTorch's positions, means what PyTorch means by them, and warns."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.nn import functional as F
from tinynn.nn.functional.legacy_reduction import legacy_reduction
from helpers import assert_close


def _inputs(rng):
    """Arrays each loss below is called with (float64; labels as integers or ±1)."""
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    probabilities = rng.uniform(0.05, 0.95, (4, 3))
    signs = np.where(rng.standard_normal((4, 3)) > 0, 1.0, -1.0)
    return {"x": x, "y": y, "probabilities": probabilities, "labels01": (signs > 0).astype(np.float64), "signs": signs,
            "log_probabilities": np.log(probabilities / probabilities.sum(1, keepdims=True)),
            "classes": np.array([0, 2, 1, 2]), "row_signs": signs[:, 0], "counts": rng.integers(0, 4, (4, 3)).astype(float),
            "multilabels": np.array([[2, -1, 0], [0, 1, -1], [1, -1, -1], [2, 0, 1]])}


# name: the arrays it takes, and the options before size_average in PyTorch's positional order
LOSSES = {
    "mse_loss": (("x", "y"), ()), "l1_loss": (("x", "y"), ()), "smooth_l1_loss": (("x", "y"), ()),
    "binary_cross_entropy": (("probabilities", "labels01"), (None,)),
    "binary_cross_entropy_with_logits": (("x", "labels01"), (None,)),
    "kl_div": (("log_probabilities", "probabilities"), ()),
    "nll_loss": (("log_probabilities", "classes"), (None,)), "cross_entropy": (("x", "classes"), (None,)),
    "margin_ranking_loss": (("x", "y", "signs"), (0.2,)), "hinge_embedding_loss": (("x", "signs"), (0.5,)),
    "soft_margin_loss": (("x", "signs"), ()), "multilabel_soft_margin_loss": (("x", "labels01"), (None,)),
    "multi_margin_loss": (("x", "classes"), (1, 0.7, None)), "cosine_embedding_loss": (("x", "y", "row_signs"), (0.1,)),
    "triplet_margin_loss": (("x", "y", "probabilities"), (1.0, 2.0, 1e-6, False)),
    "poisson_nll_loss": (("x", "counts"), (True, False)), "multilabel_margin_loss": (("x", "multilabels"), ()),
}
FLAGS = [(False, None), (None, False), (True, True), (False, True), (True, False), (False, False)]


def _meaning(size_average, reduce):
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


@pytest.mark.parametrize("size_average, reduce", FLAGS)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_each_loss_takes_the_old_flags_as_pytorch(name, size_average, reduce, rng, torch):
    arrays, options = LOSSES[name]
    values = _inputs(rng)
    ours = [tinynn.tensor(values[key]) for key in arrays]
    theirs = [torch.tensor(values[key]) for key in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's own deprecation notice
        expected = getattr(torch.nn.functional, name)(*theirs, *options, size_average=size_average, reduce=reduce)
        if name == "poisson_nll_loss":  # PyTorch's positions: log_input, full, size_average, eps, reduce, reduction
            positional = getattr(torch.nn.functional, name)(*theirs, *options, size_average, 1e-8, reduce)
        elif name in ("nll_loss", "cross_entropy"):  # weight, size_average, ignore_index, reduce
            positional = getattr(torch.nn.functional, name)(*theirs, None, size_average, -100, reduce)
        else:
            positional = getattr(torch.nn.functional, name)(*theirs, *options, size_average, reduce)
    with pytest.warns(UserWarning, match=f"{name}: size_average and reduce are deprecated .* "
                                         f"reduction='{_meaning(size_average, reduce)}'"):
        by_name = getattr(F, name)(*ours, *options, size_average=size_average, reduce=reduce)
    assert_close(by_name, expected, what=f"{name} by name")
    with pytest.warns(UserWarning):
        if name == "poisson_nll_loss":
            by_position = getattr(F, name)(*ours, *options, size_average, 1e-8, reduce)
        elif name in ("nll_loss", "cross_entropy"):
            by_position = getattr(F, name)(*ours, None, size_average, -100, reduce)
        else:
            by_position = getattr(F, name)(*ours, *options, size_average, reduce)
    assert_close(by_position, positional, what=f"{name} by position")


MODULES = {"MSELoss": ("mse_loss", 0), "L1Loss": ("l1_loss", 0), "SmoothL1Loss": ("smooth_l1_loss", 0),
           "BCELoss": ("binary_cross_entropy", 1), "BCEWithLogitsLoss": ("binary_cross_entropy_with_logits", 1),
           "KLDivLoss": ("kl_div", 0), "NLLLoss": ("nll_loss", 1), "CrossEntropyLoss": ("cross_entropy", 1),
           "MarginRankingLoss": ("margin_ranking_loss", 1), "HingeEmbeddingLoss": ("hinge_embedding_loss", 1),
           "SoftMarginLoss": ("soft_margin_loss", 0), "MultiLabelSoftMarginLoss": ("multilabel_soft_margin_loss", 1),
           "MultiMarginLoss": ("multi_margin_loss", 3), "CosineEmbeddingLoss": ("cosine_embedding_loss", 1),
           "TripletMarginLoss": ("triplet_margin_loss", 4), "PoissonNLLLoss": ("poisson_nll_loss", 2),
           "MultiLabelMarginLoss": ("multilabel_margin_loss", 0)}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_loss_module_takes_the_old_flags_as_pytorch(module, rng, torch):
    """``nn.CrossEntropyLoss(size_average=False)``: the sum, as in PyTorch; the module keeps the
    reduction the flags mean."""
    name, _ = MODULES[module]
    arrays, options = LOSSES[name]
    values = _inputs(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(torch.nn, module)(size_average=False)(*(torch.tensor(values[key]) for key in arrays))
    with pytest.warns(UserWarning, match=f"{module}: size_average and reduce are deprecated"):
        loss = getattr(nn, module)(size_average=False)
    assert loss.reduction == "sum" if hasattr(loss, "reduction") else loss.settings["reduction"] == "sum"
    assert_close(loss(*(tinynn.tensor(values[key]) for key in arrays)), expected, what=module)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # without the flags: no warning
        assert_close(getattr(nn, module)(reduction="sum")(*(tinynn.tensor(values[key]) for key in arrays)), expected)


def test_the_flags_mean_what_pytorch_says_and_the_warning_points_at_the_callers_line():
    assert legacy_reduction(None, None, "sum", "loss") == "sum"  # not given: reduction as it is
    for size_average, reduce in FLAGS:
        with pytest.warns(UserWarning):
            assert legacy_reduction(size_average, reduce, "mean", "loss") == _meaning(size_average, reduce)
    with pytest.warns(UserWarning) as caught:
        F.mse_loss(tinynn.ones(2), tinynn.zeros(2), size_average=False)  # through the autocast decorator
        nn.CrossEntropyLoss(reduce=False)  # through two __init__s
    assert [record.filename for record in caught] == [__file__, __file__]
