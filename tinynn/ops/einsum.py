"""``einsum``: products of any number of tensors summed over the indices the output leaves out.

    y[out] = sum over the other indices of  x1[s1] * x2[s2] * ...     ("ij,jk->ik" is a matmul)

Backward: y is linear in each operand, so dL/dx_k is the same kind of product, of dL/dy with
all the other operands, whose output indices are x_k's own:
    dL/dx_k[s_k] = sum of dL/dy[out] * prod_{j != k} x_j[s_j]   ("ik,jk->ij" for A of a matmul).
An index repeated within x_k (a diagonal, as in "ii->i") reads only the entries where those
positions are equal, so the gradient goes to those entries only: the product is computed over
x_k's distinct indices and multiplied by an identity matrix for each repeat. An index of x_k
that appears nowhere else is one x_k was summed over, and its gradient is broadcast along it.
"""
import string

from ..errors import DtypeError, InputError
from ..autograd import Function
from .arithmetic import sum_to_shape
from .complex import conj


def parse(equation, shapes):
    """The equation with '...' spelled out and the output made explicit (NumPy's implicit rule:
    the indices that appear once, in alphabetical order): ([operand subscripts], output)."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    operands = inputs.split(",")
    if len(operands) != len(shapes):
        raise InputError(f"einsum: the equation '{equation}' names {len(operands)} operands, got {len(shapes)} tensors")
    unused = iter(sorted(set(string.ascii_letters) - set(equation)))
    ellipsis_rank = max((len(shape) - len(subscripts.replace("...", "")) for subscripts, shape in zip(operands, shapes)
                         if "..." in subscripts), default=0)
    broadcast = "".join(next(unused) for _ in range(ellipsis_rank))
    spelled = []
    for subscripts, shape in zip(operands, shapes):
        if "..." in subscripts:
            rank = len(shape) - len(subscripts.replace("...", ""))
            subscripts = subscripts.replace("...", broadcast[ellipsis_rank - rank:])
        if len(subscripts) != len(shape) or not (subscripts.isalpha() or subscripts == ""):
            raise InputError(f"einsum: subscripts '{subscripts}' do not fit an operand of shape {tuple(shape)}")
        spelled.append(subscripts)
    if arrow:
        output = output.replace("...", broadcast)
    else:
        counts = "".join(spelled)
        output = broadcast + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in broadcast))
    return spelled, output


class Einsum(Function):
    """y = einsum(equation, *operands).  Backward: dL/dx_k = einsum of dL/dy with the other operands,
    onto x_k's indices (the module docstring has the details: repeated and summed-away indices)."""

    supports_complex = True
    graph_saved = {"operands": lambda op, y: tuple(op.inputs)}

    def __init__(self, equation):
        self.equation = equation

    def forward(self, *operands):
        self.subscripts, self.output = parse(self.equation, [x.shape for x in operands])
        self.operands = operands
        spec = ",".join(self.subscripts) + "->" + self.output
        try:
            return self.xp(operands[0]).einsum(spec, *operands)
        except ValueError as error:
            raise InputError(f"einsum: '{self.equation}' cannot combine shapes "
                             f"{[tuple(x.shape) for x in operands]}: {error}") from None

    def backward(self, gy):
        xp = self.xp(gy)
        grads = []
        for k, (subscripts, x) in enumerate(zip(self.subscripts, self.operands)):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            distinct = "".join(dict.fromkeys(subscripts))
            others = [(s, conj(o)) for j, (s, o) in enumerate(zip(self.subscripts, self.operands)) if j != k]
            # indices of x_k that only x_k had (summed away in y): broadcast dL/dy along them
            free = [c for c in distinct if c not in self.output and all(c not in s for s, _ in others)]
            sizes = {c: n for c, n in zip(subscripts, x.shape)}
            terms = [(self.output, gy)] + others + [(c, xp.ones(sizes[c], dtype=gy.dtype)) for c in free]
            spare = iter(sorted(set(string.ascii_letters) - set("".join(self.subscripts) + self.output)))
            target, seen = "", set()
            for c in subscripts:  # a repeated index gets a fresh letter tied to it by an identity matrix
                if c in seen:
                    fresh = next(spare)
                    terms.append((c + fresh, xp.eye(sizes[c], dtype=gy.dtype)))
                    c = fresh
                seen.add(c)
                target += c
            spec = ",".join(s for s, _ in terms) + "->" + target
            # a size-1 axis of x_k broadcast against the others ('...' broadcasting) sums back
            grads.append(sum_to_shape(xp.einsum(spec, *(array for _, array in terms)), x.shape))
        return tuple(grads)


def einsum(equation, *operands):
    """PyTorch's ``torch.einsum(equation, *operands)`` (or one list of operands), differentiable in
    every operand."""
    from ..tensor import Tensor

    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str) or not operands:
        raise TypeError("einsum: expected an equation string and at least one tensor")
    for position, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum: operand {position} is a {type(x).__name__}, not a Tensor")
    dtypes = {x.dtype for x in operands}
    if len(dtypes) > 1:
        raise DtypeError(f"einsum: operands of different dtypes {sorted(str(d) for d in dtypes)}; convert them first")
    return Einsum(equation)(*operands)
