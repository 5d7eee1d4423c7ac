"""The ranges an optimizer's hyper-parameters must lie in, and the check that names the one that does not.

Each optimizer lists its rules in ``HYPERPARAMETER_RANGES`` (``{"lr": AT_LEAST_0, "betas": pair(IN_0_1_OPEN,
IN_0_1_OPEN), ...}``); ``Optimizer`` checks the constructor's values and every parameter group's own
values against them (``checked``). A value out of its range, NaN, a string, None, a pair of the wrong length or a
Tensor of more than one element is refused with the name of the hyper-parameter, the range expected
and the value given ("Adam: betas[1] must be in [0, 1), got 1.0"), instead of training on NaN or
failing later inside an update rule. PyTorch checks fewer of them (NaN momentum, a negative ASGD
lambd, a one-element betas pass its constructors).
"""
import math
import numbers


class Interval:
    """The real numbers between low and high, each end closed or open."""

    def __init__(self, low, high, low_closed=True, high_closed=True):
        self.low, self.high, self.low_closed, self.high_closed = low, high, low_closed, high_closed

    def __contains__(self, number):
        above = number >= self.low if self.low_closed else number > self.low
        below = number <= self.high if self.high_closed else number < self.high
        return above and below

    def __str__(self):
        if self.low == -math.inf and self.high == math.inf:
            return "a number (not NaN)"
        if self.high == math.inf:
            return "a number " + (">= " if self.low_closed else "> ") + f"{self.low:g}"
        if self.low == -math.inf:
            return "a number " + ("<= " if self.high_closed else "< ") + f"{self.high:g}"
        return f"in {'[' if self.low_closed else '('}{self.low:g}, {self.high:g}{']' if self.high_closed else ')'}"


ANY_NUMBER = Interval(-math.inf, math.inf)
AT_LEAST_0 = Interval(0, math.inf)
ABOVE_0 = Interval(0, math.inf, low_closed=False)
IN_0_1 = Interval(0, 1)
IN_0_1_OPEN = Interval(0, 1, high_closed=False)


class pair:
    """Two values, each with its own rule (Adam's ``betas``, Rprop's ``etas``)."""

    def __init__(self, first, second):
        self.rules = (first, second)


class optional:
    """None, or a value in the rule's range (Adafactor's ``eps[0]``)."""

    def __init__(self, rule):
        self.rule = rule


def _as_number(value):
    """The float a hyper-parameter holds, or None where it is not one real number (a str, None, a
    complex, a Tensor or array of several elements). One-element Tensors count, as PyTorch's ``lr``
    may be one."""
    if isinstance(value, numbers.Real):
        return float(value)
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if shape is not None and math.prod(shape) == 1 and getattr(dtype, "kind", "c") in "fiu":
        return float(value)
    return None


def _described(value):
    if value is None or type(value) in (bool, int, float):
        return repr(value)
    number = _as_number(value)
    if isinstance(value, numbers.Real):
        return f"{number!r} (a {type(value).__name__})"
    if number is not None:
        return f"{number!r} (a one-element {type(value).__name__})"
    if getattr(value, "shape", None) is not None:
        return f"a {type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{value!r} (a {type(value).__name__})"


def check(owner, name, value, rule, where=""):
    """Raise ValueError naming ``owner`` and ``name`` unless ``value`` follows ``rule`` (an Interval,
    ``pair`` or ``optional``); ``where`` follows the range in the message (" in parameter group 2")."""
    if isinstance(rule, optional):
        if value is not None:
            check(owner, name, value, rule.rule, where)
        return
    if isinstance(rule, pair):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
            raise ValueError(f"{owner}: {name} must be a pair of two values{where}, got {_described(value)}")
        for index, (element, element_rule) in enumerate(zip(value, rule.rules)):
            check(owner, f"{name}[{index}]", element, element_rule, where)
        return
    number = _as_number(value)
    if number is None or math.isnan(number) or number not in rule:
        raise ValueError(f"{owner}: {name} must be {rule}{where}, got {_described(value)}")


def checked(owner, values, ranges, where=""):
    """``values`` (a dict), each that ``ranges`` has a rule for checked, pairs made tuples."""
    values = dict(values)
    for name, rule in ranges.items():
        if name in values:
            check(owner, name, values[name], rule, where)
            if isinstance(rule, pair):
                values[name] = tuple(values[name])
    return values
