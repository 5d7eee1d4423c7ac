"""The differentiable tensor ops, one Function class per op (forward and backward together)."""
