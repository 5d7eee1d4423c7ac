"""SyncBatchNorm in one process: batch norm over (N, C, *) of any rank, equal to PyTorch's (which
falls back to batch norm without a process group), and convert_sync_batchnorm swapping every batch
norm of a model for one holding the same parameters and statistics."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from helpers import assert_close


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 4)])
def test_normalises_as_torchs_sync_batch_norm(torch, rng, shape):
    values = rng.standard_normal(shape).astype(np.float32)
    ours, theirs = nn.SyncBatchNorm(3, momentum=0.2), torch.nn.SyncBatchNorm(3, momentum=0.2)
    x, tx = tinynn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty.detach(), rtol=1e-5, atol=1e-5, what="training output")
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-4, atol=1e-4, what="input gradient")
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-4, atol=1e-4, what="weight gradient")
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert_close(getattr(ours, name), getattr(theirs, name), rtol=1e-5, atol=1e-6, what=name)
    ours.eval(), theirs.eval()
    assert_close(ours(x), theirs(tx).detach(), rtol=1e-5, atol=1e-5, what="evaluation output")
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())


def test_convert_sync_batchnorm_keeps_the_parameters_and_statistics(torch):
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.BatchNorm1d(4, bias=False)),
                          nn.InstanceNorm1d(4))
    model[3](model[2](model[1](model[0](tinynn.randn(5, 1, 4, 4)))))  # some running statistics to carry over
    model.eval()
    before = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    weight = model[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm) and isinstance(converted[3][2], nn.SyncBatchNorm)
    assert isinstance(converted[4], nn.InstanceNorm1d)  # not a batch norm
    assert converted[1].weight is weight and converted[3][2].bias is None
    assert not converted[1].training
    after = converted.state_dict()
    assert sorted(after) == sorted(before)
    for name, value in before.items():
        np.testing.assert_array_equal(after[name].numpy(), value, err_msg=name)
    assert isinstance(nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm3d(2)), nn.SyncBatchNorm)


def test_bad_input_and_process_groups_are_named():
    with pytest.raises(ValueError, match=r"SyncBatchNorm\(3\): expected at least 2D input \(N, C, \*\), got shape \(3,\)"):
        nn.SyncBatchNorm(3)(tinynn.ones(3))
    with pytest.raises(ValueError, match="SyncBatchNorm: tinynn.s process group is the whole job.*pass process_group=None"):
        nn.SyncBatchNorm(3, process_group="world")
    with pytest.raises(ValueError, match="expected input with 3 channels, got 4"):
        nn.SyncBatchNorm(3)(tinynn.ones(2, 4))
