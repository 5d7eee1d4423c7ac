"""Layers (``tinynn.nn``), their functional forms (``tinynn.nn.functional``) and initialisers."""
from . import common_types, functional, grad, init, parallel, utils
from . import modules
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter

__all__ = ["common_types", "functional", "grad", "init", "parallel", "utils", "Parameter", "Buffer"] + modules.__all__
