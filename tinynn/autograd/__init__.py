"""The autograd engine: Functions record the graph, ``backward`` walks it (also recording itself, for
gradients of gradients), ``gradcheck`` and ``gradgradcheck`` verify it."""
from . import forward_ad, functional, profiler
from .anomaly import AnomalyError, detect_anomaly, set_detect_anomaly
from .engine import backward, grad
from .function import Function
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["forward_ad", "functional", "profiler", "AnomalyError", "detect_anomaly", "Function", "backward", "grad", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck", "gradgradcheck", "GradcheckError",
           "set_detect_anomaly", "set_grad_enabled", "inference_mode",
           "is_inference_mode_enabled", "Variable"]

