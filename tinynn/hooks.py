"""Handles returned by the ``register_*_hook`` methods: ``handle.remove()`` unregisters the hook."""
import itertools

_next_id = itertools.count()


class RemovableHandle:
    """The handle of a hook in ``hooks_dict`` (by this handle's ``id``): ``remove()`` takes it out, and
    out of ``extra_dict`` (a dict or a list of dicts keeping more about the hook), as PyTorch's."""

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.registry = hooks_dict
        self.extras = [extra_dict] if isinstance(extra_dict, dict) else list(extra_dict or ())
        self.id = next(_next_id)

    def remove(self):
        for registry in [self.registry] + self.extras:
            registry.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
