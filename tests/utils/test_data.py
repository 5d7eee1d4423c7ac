"""tinynn.utils.data is tinynn.data under PyTorch's torch.utils.data name."""
import tinynn
import tinynn.utils.data as utils_data


def test_every_public_name_of_tinynn_data_is_there():
    for name in tinynn.data.__all__:
        assert getattr(utils_data, name) is getattr(tinynn.data, name)
    assert utils_data.__all__ == tinynn.data.__all__
