"""``Embedding`` and ``EmbeddingBag``: learned lookup tables (math and backward in nn/functional/embedding.py)."""
from ...errors import InputError
from ... import backend
from ...size import as_int
from .. import functional as F, init
from ..functional.embedding import EMBEDDING_BAG_MODES
from ..parameter import Parameter
from .module import Module
from ...tensor import zeros


def _check_table(embeddings, name):
    from ...tensor import Tensor

    if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
        raise InputError(f"{name}.from_pretrained: expected a 2-D tensor (num_embeddings, embedding_dim), got "
                         f"{tuple(embeddings.shape) if isinstance(embeddings, Tensor) else type(embeddings).__name__}")


class _LookupTable(Module):
    """What Embedding and EmbeddingBag share (siblings, neither a subclass of the other, as in PyTorch):
    the (num_embeddings, embedding_dim) ``weight`` ~ N(0, 1), the row of ``padding_idx`` (if given)
    starting at zero and receiving no gradient, and the options of the lookup."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        """``_weight``/``_freeze`` (PyTorch's, what ``from_pretrained`` passes): start from this
        (num_embeddings, embedding_dim) table instead of N(0, 1), frozen (no gradient) with ``_freeze``."""
        super().__init__()
        name = type(self).__name__
        if max_norm is not None and max_norm <= 0:
            raise InputError(f"{name}: max_norm must be positive, got {max_norm}")
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.sparse = bool(sparse)
        num_embeddings, embedding_dim = as_int(num_embeddings), as_int(embedding_dim)
        for what, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InputError(f"{name}: {what} must be a positive int, got {value!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise InputError(f"{name}: padding_idx {padding_idx} is outside the table of {num_embeddings} rows")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        if _weight is None:
            self.weight = Parameter(zeros(num_embeddings, embedding_dim, dtype=dtype))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise InputError(f"{name}: _weight of shape {tuple(_weight.shape)} does not match "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight.detach() if isinstance(_weight, Parameter) else _weight,
                                    requires_grad=not _freeze)
        self.to(backend.canonical_device(device))  # (None: the default device)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._array[self.padding_idx] = 0

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        return text


class Embedding(_LookupTable):
    """Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False) as in PyTorch: weight ~ N(0, 1), the row of
    ``padding_idx`` (if given) starts at zero and receives no gradient; with ``sparse`` the weight's
    gradient is a sparse tensor of the rows used (for SGD, Adagrad, SparseAdam); see ``F.embedding``."""

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding over the given (num_embeddings, embedding_dim) table (as it is, the padding row
        included), frozen (no gradient) unless ``freeze=False``, as PyTorch's."""
        _check_table(embeddings, "Embedding")
        return cls(*embeddings.shape, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings,
                   _freeze=freeze, device=embeddings.device)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse, name=f"Embedding({self.extra_repr()})")

    def extra_repr(self):
        return super().extra_repr() + (", sparse=True" if self.sparse else "")  # (EmbeddingBag's leaves it out)


class EmbeddingBag(_LookupTable):
    """EmbeddingBag(num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, mode="mean", sparse=False, include_last_offset=False,
    padding_idx=None) as in PyTorch: ``forward(input, offsets=None, per_sample_weights=None)``
    reduces each bag of looked-up rows to one (see ``F.embedding_bag``)."""

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        if mode not in EMBEDDING_BAG_MODES:
            raise InputError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        super().__init__(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                         _weight=_weight, device=device, dtype=dtype)
        self.mode, self.include_last_offset = mode, include_last_offset

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag over the given (num_embeddings, embedding_dim) table, frozen by default."""
        _check_table(embeddings, "EmbeddingBag")
        bag = cls(*embeddings.shape, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx, device=embeddings.device)
        bag.weight.requires_grad = not freeze
        return bag

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx,
                               name=f"EmbeddingBag({self.extra_repr()})")

    def extra_repr(self):
        return super().extra_repr() + f", mode={self.mode!r}"
