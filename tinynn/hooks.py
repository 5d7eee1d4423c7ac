"""Handles returned by the ``register_*_hook`` methods: ``handle.remove()`` unregisters the hook."""
import itertools

_next_id = itertools.count()


class RemovableHandle:
    def __init__(self, registry):
        self.registry = registry
        self.id = next(_next_id)

    def remove(self):
        self.registry.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
