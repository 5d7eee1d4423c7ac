"""Layers (``tinynn.nn``), their functional forms (``tinynn.nn.functional``) and initialisers."""
from . import functional, init
from . import modules
from .modules import *  # noqa: F401,F403
from .parameter import Parameter

__all__ = ["functional", "init", "Parameter"] + modules.__all__
