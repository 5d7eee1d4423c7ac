"""``tinynn.utils.data``: tinynn's data package (datasets, samplers, the DataLoader) under the name
PyTorch users import it by, ``torch.utils.data``."""
from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401
