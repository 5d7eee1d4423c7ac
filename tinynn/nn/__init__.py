"""Layers (``tinynn.nn``), their functional forms (``tinynn.nn.functional``) and initialisers."""
from . import functional, init
from .modules import *  # noqa: F401,F403
from .parameter import Parameter
