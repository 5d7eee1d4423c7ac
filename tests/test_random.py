"""tinynn/random.py: the global generators, seen through ``default_generator`` as PyTorch's."""
import pickle

import numpy as np
import pytest

import tinynn
from tinynn.nn import functional as F
from tinynn.utils.data import random_split


def test_manual_seed_returns_the_default_generator_which_drives_the_global_draws():
    generator = tinynn.manual_seed(3)
    assert generator is tinynn.default_generator and generator.initial_seed() == 3 and generator.device == "cpu"
    first = tinynn.randn(4).numpy()
    assert tinynn.default_generator.manual_seed(3) is tinynn.default_generator
    np.testing.assert_array_equal(tinynn.randn(4).numpy(), first)
    state = tinynn.default_generator.get_state()
    drawn = tinynn.rand(3).numpy()
    tinynn.default_generator.set_state(state)
    np.testing.assert_array_equal(tinynn.rand(3).numpy(), drawn)


def test_the_default_generator_can_be_passed_where_a_generator_is_taken():
    tinynn.manual_seed(5)
    given = [list(part) for part in random_split(range(10), [3, 7], generator=tinynn.default_generator)]
    tinynn.manual_seed(5)
    assert [list(part) for part in random_split(range(10), [3, 7])] == given
    tinynn.manual_seed(5)
    drawn = tinynn.randint(0, 100, (5,), generator=tinynn.default_generator).tolist()
    tinynn.manual_seed(5)
    assert tinynn.randint(0, 100, (5,)).tolist() == drawn
    assert pickle.loads(pickle.dumps(tinynn.default_generator)) is tinynn.default_generator


def test_seeding_the_default_generator_leaves_a_generator_of_ones_own_alone():
    own = tinynn.Generator().manual_seed(1)
    expected = tinynn.Generator().manual_seed(1)
    tinynn.default_generator.manual_seed(9)
    assert tinynn.randn(3, generator=own).tolist() == tinynn.randn(3, generator=expected).tolist()


def test_uint16_draws_are_uniform_reproducible_and_any_shape():
    """Dropout's 16-bit draws, four from each of PCG64's raw 64-bit outputs: NumPy's integers() from the
    same state, every bit and every one of the four places in an output uniform (chi-square over 256
    bins of the high byte), the same draws again after a seed, for counts not multiples of four too."""
    from tinynn import random

    tinynn.manual_seed(3)
    draws = random.uint16(np, (7, 3))
    assert draws.shape == (7, 3) and draws.dtype == np.uint16
    tinynn.manual_seed(3)
    np.testing.assert_array_equal(random.uint16(np, (7, 3)), draws)
    tinynn.manual_seed(3)  # the draws NumPy's integers() makes from the same state
    np.testing.assert_array_equal(draws.ravel(), random._cpu_generator.integers(0, 65535, 21, dtype=np.uint16,
                                                                                 endpoint=True))
    many = random.uint16(np, (400_000,))
    bits = (many[:, None] >> np.arange(16, dtype=np.uint16)) & 1
    assert np.all(np.abs(bits.mean(axis=0) - 0.5) < 0.005)
    for place in range(4):
        counts = np.bincount(many[place::4] >> 8, minlength=256)
        expected = len(many[place::4]) / 256
        chi_square = ((counts - expected) ** 2 / expected).sum()
        assert chi_square < 350  # 255 degrees of freedom: beyond 350 has probability below 1e-4


def test_fork_rng_puts_the_generators_back_as_they_were(device):
    from tinynn.random import cpu_generator, fork_rng

    def draws():  # (a GPU's dropout mask comes from the GPU's generator)
        return tinynn.rand(4).tolist(), F.dropout(tinynn.ones(64, device=device), 0.5).tolist()

    tinynn.manual_seed(11)
    draws()
    expected = draws()
    tinynn.manual_seed(11)
    draws()
    generator = cpu_generator()
    with fork_rng():
        draws()
        tinynn.manual_seed(5)  # a seed set inside is undone too
        draws()
    assert draws() == expected and tinynn.initial_seed() == 11 and cpu_generator() is generator

    tinynn.manual_seed(11)
    draws()
    with pytest.raises(KeyError), fork_rng(devices=[]):  # the CPU's only: the GPU's stream goes on
        draws()
        raise KeyError("left by an error")
    after = draws()
    assert after[0] == expected[0] and (after[1] != expected[1]) == (device != "cpu")

    tinynn.manual_seed(11)
    draws()
    with fork_rng(enabled=False):
        draws()
    assert draws() != expected
    with pytest.raises(ValueError, match="fork_rng: device_type must be 'cuda' or 'gpu', got 'xpu'"):
        with fork_rng(device_type="xpu"):
            pass
