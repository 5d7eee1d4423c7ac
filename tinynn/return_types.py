"""The named results of PyTorch's ops (``torch.return_types``): ``x.max(dim)`` gives a ``max``, a tuple
``(values, indices)`` whose parts also go by name (``.values``, ``.indices``), printed as PyTorch prints
it. One class per op, with PyTorch's name and fields; each is a named tuple, so ``values, indices =
x.max(1)`` and pickling work as for any tuple."""
import collections


def _result_type(name, fields):
    def __repr__(self):
        parts = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"tinynn.return_types.{name}(\n{parts})"

    return type(name, (collections.namedtuple(name, fields),),
                {"__slots__": (), "__repr__": __repr__, "__module__": __name__, "__qualname__": name})


VALUES_AND_INDICES = ["values", "indices"]
max = _result_type("max", VALUES_AND_INDICES)
min = _result_type("min", VALUES_AND_INDICES)
sort = _result_type("sort", VALUES_AND_INDICES)
topk = _result_type("topk", VALUES_AND_INDICES)
median = _result_type("median", VALUES_AND_INDICES)
nanmedian = _result_type("nanmedian", VALUES_AND_INDICES)
mode = _result_type("mode", VALUES_AND_INDICES)
kthvalue = _result_type("kthvalue", VALUES_AND_INDICES)
cummax = _result_type("cummax", VALUES_AND_INDICES)
cummin = _result_type("cummin", VALUES_AND_INDICES)
aminmax = _result_type("aminmax", ["min", "max"])
histogram = _result_type("histogram", ["hist", "bin_edges"])
histogramdd = _result_type("histogramdd", ["hist", "bin_edges"])
frexp = _result_type("frexp", ["mantissa", "exponent"])
geqrf = _result_type("geqrf", ["a", "tau"])
triangular_solve = _result_type("triangular_solve", ["solution", "cloned_coefficient"])
svd = _result_type("svd", ["U", "S", "V"])
qr = _result_type("qr", ["Q", "R"])
slogdet = _result_type("slogdet", ["sign", "logabsdet"])
lu_unpack = _result_type("lu_unpack", ["P", "L", "U"])
linalg_slogdet = _result_type("linalg_slogdet", ["sign", "logabsdet"])
linalg_qr = _result_type("linalg_qr", ["Q", "R"])
linalg_eigh = _result_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
linalg_eig = _result_type("linalg_eig", ["eigenvalues", "eigenvectors"])
linalg_svd = _result_type("linalg_svd", ["U", "S", "Vh"])
linalg_lstsq = _result_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
linalg_lu = _result_type("linalg_lu", ["P", "L", "U"])
linalg_lu_factor = _result_type("linalg_lu_factor", ["LU", "pivots"])
linalg_lu_factor_ex = _result_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
linalg_inv_ex = _result_type("linalg_inv_ex", ["inverse", "info"])
linalg_solve_ex = _result_type("linalg_solve_ex", ["result", "info"])
linalg_cholesky_ex = _result_type("linalg_cholesky_ex", ["L", "info"])
linalg_ldl_factor = _result_type("linalg_ldl_factor", ["LD", "pivots"])
linalg_ldl_factor_ex = _result_type("linalg_ldl_factor_ex", ["LD", "pivots", "info"])
