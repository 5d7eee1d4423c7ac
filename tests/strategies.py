"""Hypothesis strategies for shapes, including broadcasting pairs with size-1 dimensions."""
from hypothesis import strategies as st

dims = st.integers(1, 4)


@st.composite
def shapes(draw, min_dims=0, max_dims=3):
    return tuple(draw(st.lists(dims, min_size=min_dims, max_size=max_dims)))


@st.composite
def broadcastable_pairs(draw, max_dims=3):
    """Two shapes that broadcast together: some axes dropped from the front, some set to 1."""
    full = draw(shapes(min_dims=1, max_dims=max_dims))

    def variant():
        keep = draw(st.integers(0, len(full)))
        tail = list(full[len(full) - keep:])
        return tuple(1 if draw(st.booleans()) else n for n in tail)

    return variant(), variant()
