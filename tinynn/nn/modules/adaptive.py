"""``AdaptiveLogSoftmaxWithLoss``: a softmax over many classes made cheap by splitting them by
frequency (Grave et al., "Efficient softmax approximation for GPUs", 2016), as PyTorch's."""
import collections

import numpy as np

from ...errors import InputError
from ... import backend
from ...tensor import Tensor, concatenate
from .. import functional as F
from .container import ModuleList, Sequential
from .layers import Linear
from .module import Module

ASMOutput = collections.namedtuple("ASMOutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Classes 0 .. cutoffs[0]-1 (the frequent ones, the "shortlist") are scored by the head
    together with one entry per cluster; cluster i holds classes cutoffs[i-1] .. cutoffs[i]-1
    (cutoffs ending with n_classes) and is scored by its own small projection, of in_features /
    div_value^i dimensions. So

        log p(c) = head_logprob[c]                                        for a shortlist class,
        log p(c) = head_logprob[cluster of c] + cluster_logprob[c - first class of the cluster]

    and a rare class costs only its cluster's softmax. ``forward(input, target)`` gives
    (output: log p(target) per sample, loss: the mean of -output); ``log_prob(input)`` every
    class's log-probability (N, n_classes); ``predict(input)`` the most likely class.
    Parameters as PyTorch's: ``head`` (in_features -> shortlist + clusters) and ``tail[i]`` a
    Sequential of two Linear layers without bias (so state dicts move between the two).
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        made = dict(device=device, dtype=dtype)
        cutoffs = list(cutoffs)
        if (not cutoffs or cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise InputError(f"AdaptiveLogSoftmaxWithLoss: cutoffs must be a sorted sequence of unique positive "
                             f"integers, each below n_classes - 1 = {n_classes - 1}, got {cutoffs}")
        self.in_features, self.n_classes, self.div_value, self.head_bias = in_features, n_classes, div_value, head_bias
        self.cutoffs = cutoffs + [n_classes]
        self.shortlist_size, self.n_clusters = self.cutoffs[0], len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **made)
        self.tail = ModuleList(
            Sequential(Linear(in_features, int(in_features // (div_value ** (i + 1))), bias=False, **made),
                       Linear(int(in_features // (div_value ** (i + 1))), self.cutoffs[i + 1] - self.cutoffs[i],
                              bias=False, **made))
            for i in range(self.n_clusters))

    def reset_parameters(self):
        """Each layer of the head and the clusters drawn afresh, as PyTorch's."""
        self.head.reset_parameters()
        for cluster in self.tail:
            for layer in cluster:
                layer.reset_parameters()

    def _batched(self, input, name):
        if input.ndim not in (1, 2) or input.shape[-1] != self.in_features:
            raise InputError(f"AdaptiveLogSoftmaxWithLoss.{name}: expected input of shape (N, {self.in_features}) or "
                             f"({self.in_features},), got {tuple(input.shape)}")
        return input.unsqueeze(0) if input.ndim == 1 else input

    def forward(self, input_, target_):
        batched = self._batched(input_, "forward")
        targets = target_.reshape(-1) if target_.ndim == 0 else target_
        if targets.shape[0] != batched.shape[0]:
            raise InputError(f"AdaptiveLogSoftmaxWithLoss: input and target should have the same size in the batch "
                             f"dimension, got {batched.shape[0]} and {targets.shape[0]}")
        labels = backend.to_device(targets._array, "cpu").astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise IndexError(f"AdaptiveLogSoftmaxWithLoss: targets must lie in [0, {self.n_classes - 1}], got "
                             f"values from {labels.min()} to {labels.max()}")
        xp = backend.get_array_module(batched._array)
        head_index = np.minimum(labels, self.shortlist_size - 1)  # the shortlist class, or below: the cluster's entry
        rows_of_clusters, cluster_parts = [], []
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            rows = np.flatnonzero((labels >= low) & (labels < high))
            if not rows.size:
                continue
            head_index[rows] = self.shortlist_size + i
            chosen = Tensor._from_op(xp.asarray(rows), False)
            cluster_logprob = F.log_softmax(self.tail[i](batched.index_select(0, chosen)), 1)
            relative = Tensor._from_op(xp.asarray(labels[rows] - low)[:, None], False)
            rows_of_clusters.append(rows)
            cluster_parts.append(cluster_logprob.gather(1, relative).squeeze(1))
        head_logprob = F.log_softmax(self.head(batched), 1)
        output = head_logprob.gather(1, Tensor._from_op(xp.asarray(head_index)[:, None], False)).squeeze(1)
        if cluster_parts:  # each sample's part from its cluster, added where it belongs
            rows = Tensor._from_op(xp.asarray(np.concatenate(rows_of_clusters)), False)
            output = output.index_add(0, rows, concatenate(cluster_parts, 0))
        if input_.ndim == 1:
            output = output.squeeze(0)
        return ASMOutput(output, (-output).mean())

    def log_prob(self, input):
        """log p(c) of every class c, (N, n_classes) (or (n_classes,) for one sample)."""
        batched = self._batched(input, "log_prob")
        head_logprob = F.log_softmax(self.head(batched), 1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](batched), 1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i:self.shortlist_size + i + 1])
        full = concatenate(parts, 1)
        return full.squeeze(0) if input.ndim == 1 else full

    def predict(self, input):
        """The most likely class of each sample (computed from every class's log-probability)."""
        return self.log_prob(input).argmax(-1)
