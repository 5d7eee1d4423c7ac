"""Ops with several results give PyTorch's named tuples (``torch.return_types``): the same type name,
the same fields in the same order, printed alike, pickled and unpacked as tuples."""
import pickle

import numpy as np
import pytest

import tinynn

RESULTS = {  # PyTorch's type name -> function(module, x (1, 3), E (2, 2) float64)
    "max": lambda m, x, E: x.max(1), "min": lambda m, x, E: x.min(1), "sort": lambda m, x, E: x.sort(1),
    "topk": lambda m, x, E: x.topk(1), "median": lambda m, x, E: x.median(1),
    "nanmedian": lambda m, x, E: x.nanmedian(1), "mode": lambda m, x, E: x.mode(1),
    "kthvalue": lambda m, x, E: x.kthvalue(1, 1), "cummax": lambda m, x, E: x.cummax(1),
    "cummin": lambda m, x, E: x.cummin(1), "aminmax": lambda m, x, E: x.aminmax(),
    "histogram": lambda m, x, E: m.histogram(x, 2), "frexp": lambda m, x, E: m.frexp(x),
    "slogdet": lambda m, x, E: m.slogdet(E), "linalg_slogdet": lambda m, x, E: m.linalg.slogdet(E),
    "geqrf": lambda m, x, E: m.geqrf(E), "svd": lambda m, x, E: m.svd(E), "qr": lambda m, x, E: E.qr(),
    "linalg_eigh": lambda m, x, E: m.linalg.eigh(E), "linalg_eig": lambda m, x, E: m.linalg.eig(E),
    "linalg_qr": lambda m, x, E: m.linalg.qr(E), "linalg_svd": lambda m, x, E: m.linalg.svd(E),
    "linalg_lu": lambda m, x, E: m.linalg.lu(E), "linalg_lu_factor": lambda m, x, E: m.linalg.lu_factor(E),
    "linalg_lu_factor_ex": lambda m, x, E: m.linalg.lu_factor_ex(E),
    "linalg_inv_ex": lambda m, x, E: m.linalg.inv_ex(E), "linalg_solve_ex": lambda m, x, E: m.linalg.solve_ex(E, E),
    "linalg_cholesky_ex": lambda m, x, E: m.linalg.cholesky_ex(E),
    "linalg_ldl_factor": lambda m, x, E: m.linalg.ldl_factor(E),
    "linalg_ldl_factor_ex": lambda m, x, E: m.linalg.ldl_factor_ex(E),
    "lu_unpack": lambda m, x, E: m.lu_unpack(*m.linalg.lu_factor(E)),
}


@pytest.mark.filterwarnings("ignore:torch.qr is deprecated")  # PyTorch's own, for E.qr()
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_named_results_are_pytorchs(name, torch):
    values = np.array([[1.0, 3.0, 2.0]], dtype=np.float32)
    ours = RESULTS[name](tinynn, tinynn.tensor(values), tinynn.eye(2, dtype=tinynn.float64))
    theirs = RESULTS[name](torch, torch.tensor(values), torch.eye(2, dtype=torch.float64))
    assert type(ours).__name__ == type(theirs).__name__ == name
    assert type(ours) is getattr(tinynn.return_types, name)
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for position, field in enumerate(ours._fields):  # PyTorch's order: its tuple holds them so
        assert getattr(ours, field) is ours[position]
        np.testing.assert_allclose(getattr(ours, field).numpy(), getattr(theirs, field).numpy(), err_msg=field)
    assert repr(ours).replace("tinynn", "torch") == repr(theirs)
    again = pickle.loads(pickle.dumps(ours))
    assert type(again) is type(ours) and all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(again, ours))
