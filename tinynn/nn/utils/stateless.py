"""``torch.nn.utils.stateless``'s older home of ``functional_call`` (``tinynn.func.functional_call``)."""
from ...func import functional_call

__all__ = ["functional_call"]
