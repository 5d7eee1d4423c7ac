"""Helpers for the tests: float64 tensors for gradchecks, conversions for PyTorch comparisons, and
loading the example and benchmark scripts as modules."""
import contextlib
import functools
import http.server
import importlib.util
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np

import tinynn
from gpu_simulation import simulated_cupy


def leaf(array, device="cpu", requires_grad=True, dtype=np.float64):
    return tinynn.tensor(np.asarray(array, dtype=dtype), device=device, requires_grad=requires_grad)


def away_from(array, points, margin=0.1):
    """Move values within ``margin`` of any of ``points`` (kinks, ties) out of the way."""
    array = np.array(array, dtype=np.float64)
    for point in points:
        near = np.abs(array - point) < margin
        array[near] = point + np.where(array[near] >= point, margin, -margin)
    return array


def distinct(shape, rng, spacing=0.05):
    """Values that are pairwise at least ``spacing`` apart (no max-pool ties), in random order."""
    count = int(np.prod(shape))
    return (rng.permutation(count) * spacing - count * spacing / 2).reshape(shape)


def to_torch(torch, tensor, requires_grad=False):
    return torch.tensor(tensor.numpy() if isinstance(tensor, tinynn.Tensor) else np.asarray(tensor),
                        requires_grad=requires_grad)


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, what="value"):
    actual = actual.numpy() if isinstance(actual, tinynn.Tensor) else np.asarray(actual)
    expected = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def assert_function_matches_torch(function, arrays, torch, rng, device="cpu", what="function"):
    """``function(library, *tensors)`` on tinynn and on PyTorch, the same float64 ``arrays`` in: the
    outputs and every input's gradient (through random output weights) must agree."""
    ours = [tinynn.tensor(v, device=device, requires_grad=True) for v in arrays]
    theirs = [torch.tensor(v, requires_grad=True) for v in arrays]
    out, t_out = function(tinynn, *ours), function(torch, *theirs)
    assert_close(out, t_out.detach(), rtol=1e-9, atol=1e-11, what=what)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for position, (a, ta) in enumerate(zip(ours, theirs)):
        assert_close(a.grad, ta.grad, rtol=1e-8, atol=1e-10, what=f"{what} gradient of input {position}")


def assert_module_matches_torch(ours, theirs, values, torch, rng, device="cpu", what="module"):
    """Run a tinynn module and its PyTorch twin (same weights) on ``values``: outputs, the input's
    gradient and every parameter's gradient (through random output weights) must agree. Returns
    our output."""
    x = tinynn.tensor(values, device=device, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    out, t_out = ours(x), theirs(tx)
    assert_close(out, t_out.detach(), rtol=1e-10, atol=1e-12, what=what)
    weights = rng.standard_normal(out.shape)
    (out * tinynn.tensor(weights, device=device)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-9, atol=1e-12, what=f"{what} input gradient")
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=1e-9, atol=1e-11, what=f"{what} {name} gradient")
    return out


ROOT = Path(__file__).resolve().parents[1]


def load_script(relative_path):
    """A script of the repository (``examples/mnist_tiny.py``...) imported as a module, so tests can
    call its functions in this process."""
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def install_cupy_without_gpu(monkeypatch):
    """Make ``import cupy`` give a CuPy that is installed but finds no GPU (no driver): device queries
    raise, as real CuPy's CUDARuntimeError, and its memory pool must not be asked."""
    def no_device():
        raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")

    def pool_asks_the_driver():
        raise AssertionError("the memory pool was asked although no GPU was found")

    cupy = SimpleNamespace(cuda=SimpleNamespace(runtime=SimpleNamespace(getDeviceCount=no_device)),
                           get_default_memory_pool=pool_asks_the_driver, ndarray=type("ndarray", (), {}))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(tinynn.backend, "_cupy_module", None)


def use_device(kind, monkeypatch):
    """"cpu", "cuda" or "simulated-gpu" -> the tinynn device name; installs the simulation if asked."""
    if kind == "simulated-gpu":
        simulated_cupy.install(monkeypatch)
    return "cpu" if kind == "cpu" else "gpu"


def assert_layer_matches_torch(torch, ours, theirs, input_shape, rng, device="cpu", rtol=1e-5, atol=1e-4):
    """Give a PyTorch layer our layer's weights, run both forward and backward on the same float32
    input and output gradient (ours on ``device``), and compare the outputs and every gradient."""
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.to(device)
    x = leaf(rng.standard_normal(input_shape), dtype=np.float32, device=device)
    tx = to_torch(torch, x, True)
    y, ty = ours(x), theirs(tx)
    assert_close(y, ty, rtol=rtol, atol=min(atol, 1e-5), what="forward")
    grad = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(tinynn.tensor(grad, device=device))
    ty.backward(torch.tensor(grad))
    assert_close(x.grad, tx.grad, rtol=rtol, atol=atol, what="input grad")
    for (name, p), t in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t.grad, rtol=rtol, atol=atol, what=f"{name} grad")
    return y


class _ContentHandler(http.server.BaseHTTPRequestHandler):
    """Answers GET with ``content_for(path)``'s bytes, 404 where it gives None, noting each path asked for."""

    def __init__(self, *args, content_for=None, **kwargs):
        self.content_for = content_for
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        content = self.content_for(self.path)
        if content is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(content_for):
    """A local HTTP server on 127.0.0.1 (an unused port), in a thread, answering each GET with the bytes
    ``content_for(path)`` gives (404 where None): yields (the server, its base URL). ``server.requests``
    lists the paths asked for."""
    handler = functools.partial(_ContentHandler, content_for=content_for)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
