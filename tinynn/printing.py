"""How a tensor prints: PyTorch's layout, so that a tinynn session reads like the PyTorch tutorial
next to it. ``tensor([ 1.5000,  2.2500, -3.0000])``: floats with ``precision`` decimals (4), whole
numbers as ``1.``, scientific notation where the values span more than a factor 1000 (or reach 1e8,
or go below 1e-4), every column one width; more than ``threshold`` elements summarized with ``...``
and ``edgeitems`` at each end; lines wrapped at ``linewidth``; then the suffixes (device, a dtype
other than the defaults, size of an empty tensor, grad_fn or requires_grad). ``set_printoptions``
(in tinynn.tensor) sets the options.
"""
import math

import numpy as np

OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
PROFILES = {"default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
            "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
            "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80}}


class _Formatter:
    """One width and notation for every element of a (summarized) real array, chosen as PyTorch's."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        precision = OPTIONS["precision"]
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max([1] + [len(str(value)) for value in flat.tolist()])
        else:
            finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
            if finite.size:
                magnitudes = np.abs(finite)
                smallest, largest = magnitudes.min(), magnitudes.max()
                self.int_mode = bool((finite == np.ceil(finite)).all())
                self.sci_mode = (largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4) \
                    if OPTIONS["sci_mode"] is None else OPTIONS["sci_mode"]
                if self.sci_mode:
                    texts = [f"{v:.{precision}e}" for v in finite.tolist()]
                elif self.int_mode:
                    texts = [f"{v:.0f}." for v in finite.tolist()]
                else:
                    texts = [f"{v:.{precision}f}" for v in finite.tolist()]
                self.width = max(len(text) for text in texts)

    def format(self, value):
        precision = OPTIONS["precision"]
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{precision}f}"
        return " " * (self.width - len(text)) + text


def _summarized(values):
    """The elements that print when ``values`` is summarized: ``edgeitems`` at each end of every axis."""
    edge = OPTIONS["edgeitems"]
    for axis, size in enumerate(values.shape):
        if size > 2 * edge:
            values = np.concatenate([values.take(range(edge), axis), values.take(range(size - edge, size), axis)], axis)
    return values


def _element(value, real, imaginary):
    if imaginary is None:
        return real.format(value)
    imaginary_text = (imaginary.format(value.imag) + "j").lstrip()
    return real.format(value.real) + ("" if imaginary_text[0] in "+-" else "+") + imaginary_text


def _nested(values, indent, summarize, real, imaginary):
    edge = OPTIONS["edgeitems"]
    if values.ndim == 0:
        return _element(values.item(), real, imaginary)
    if values.ndim == 1:
        width = real.width + 2 + (imaginary.width + 1 if imaginary is not None else 0)
        per_line = max(1, int((OPTIONS["linewidth"] - indent) // width))
        if summarize and values.shape[0] > 2 * edge:
            items = ([_element(v, real, imaginary) for v in values[:edge].tolist()] + [" ..."]
                     + [_element(v, real, imaginary) for v in values[-edge:].tolist()])
        else:
            items = [_element(v, real, imaginary) for v in values.tolist()]
        lines = [", ".join(items[start:start + per_line]) for start in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(values.shape[0])
    if summarize and values.shape[0] > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(values.shape[0] - edge, values.shape[0]))
    parts = ["..." if row is None else _nested(values[row], indent + 1, summarize, real, imaginary) for row in rows]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def named_part(name, text):
    """``name=`` and a tensor's repr ``text``, its further lines indented to stay under its first (the
    parts of a sparse tensor's repr, as PyTorch lays them out)."""
    return f"{name}=" + text.replace("\n", "\n" + " " * (len("tensor(") + len(name) + 1))


def sparse_repr(parts, flowing):
    """PyTorch's repr of a sparse tensor: ``tensor(``, its ``parts`` one to a line, then the ``flowing``
    items (size, nnz, dtype, layout, ...) on lines as long as the line width allows."""
    lines = list(parts) + [flowing[0]]
    for item in flowing[1:]:
        if len(lines[-1]) + len(item) + len("tensor(, )") > OPTIONS["linewidth"]:
            lines.append(item)
        else:
            lines[-1] += ", " + item
    return "tensor(" + ",\n       ".join(lines) + ")"


def tensor_repr(values, suffixes):
    """``tensor(...)`` of the host array ``values``, then the ``suffixes`` ("dtype=float64", ...)."""
    prefix = "tensor("
    if values.size == 0:
        body = "[]"
    else:
        if values.dtype == np.float16:
            values = values.astype(np.float32)
        summarize = values.size > OPTIONS["threshold"]
        shown = _summarized(values) if summarize else values
        if values.dtype.kind == "c":
            real, imaginary = _Formatter(shown.real), _Formatter(shown.imag)
        else:
            real, imaginary = _Formatter(shown), None
        body = _nested(values, len(prefix), summarize, real, imaginary)
    text = prefix + body
    line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > OPTIONS["linewidth"]:
            text += ",\n" + " " * len(prefix) + suffix
            line_length = len(prefix) + len(suffix)
        else:
            text += ", " + suffix
            line_length += len(suffix) + 2
    return text + ")"
