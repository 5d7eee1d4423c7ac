"""Layers beyond the seed model, tinynn beside PyTorch: one forward and backward of LSTM, GRU and
RNN layers, a transformer encoder layer, a CNN's 3x3 convolution and batch norm, and layers whose
speed tinynn's NumPy formulas set (a depthwise convolution, GELU, SiLU, LeakyReLU, LayerNorm, an
embedding's lookup).

    python benchmarks/bench_layers.py [--layers LSTM GRU RNN Transformer ...] [--seq-len 28] [--batch-size 128]
                                      [--input-size 28] [--hidden-size 128] [--model-size 128] [--heads 4]
                                      [--feedforward 512] [--tokens 64] [--sequences 32] [--rounds 8]
                                      [--repeats 8] [--torch-threads N] [--torch-onednn {on,off}]
                                      [--channels-last] [--same-process] [--json PATH]

The recurrent layers take (seq-len, batch-size, input-size) and have hidden-size units; the
transformer layer is ``TransformerEncoderLayer(model-size, heads, feedforward, dropout=0,
batch_first=True)`` on (sequences, tokens, model-size). The others have fixed sizes (``LAYERS``):
Conv2d(32, 32, 3, padding=1) and BatchNorm2d(32) (training) on (64, 32, 16, 16), Conv2d(64, 64, 3,
padding=1, groups=64) on (16, 64, 32, 32), the activations on (256, 1024),
LayerNorm(256) on (64, 64, 256), Embedding(10000, 128) looking up (64, 128) indices; every input
as a user would hand it over (NCHW in C order), or with ``--channels-last`` a 4-D one as a
convolution's output lies in memory (tinynn's always; PyTorch's with that memory format).

Each framework runs in a worker process of its own (this script with ``--worker``), as in
bench_train.py: PyTorch's OpenMP threads keep spinning for a while after each of its operations,
and in a shared process they would take cores from tinynn's threads in the rounds that follow
(``--same-process`` runs both in this process, to see that effect). The workers alternate rounds
on the same weights and inputs; each figure is the median time of a forward pass plus
``sum().backward()``. PyTorch uses ``--torch-threads`` threads (default: its own choice);
tinynn runs blocks of the batch's sequences, and of its matrix products, on its own threads, each
product on one BLAS thread (see tinynn.parallel and tinynn.blas). The ratio tinynn/PyTorch is
what the side-by-side rounds make reliable.

PyTorch's CPU LSTM runs oneDNN's LSTM primitive where its build has one (JIT-compiled kernels that
fuse each step's gate arithmetic; its GRU and RNN run ATen's kernels either way); ``--torch-onednn
off`` times its own ATen kernels instead (``torch.backends.mkldnn.enabled = False``), the same
algorithm as tinynn's: products over all steps, one product and the elementwise gate steps per
time step.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

RECURRENT = ("LSTM", "GRU", "RNN")
# the layers of fixed size: how to build each from a library's nn, and its input (a float input is
# drawn from a normal distribution, an integer one holds indices below the given bound)
LAYERS = {
    "Conv2d": (lambda nn: nn.Conv2d(32, 32, 3, padding=1), (64, 32, 16, 16), None),
    "BatchNorm2d": (lambda nn: nn.BatchNorm2d(32), (64, 32, 16, 16), None),
    "Depthwise": (lambda nn: nn.Conv2d(64, 64, 3, padding=1, groups=64), (16, 64, 32, 32), None),
    "GELU": (lambda nn: nn.GELU(), (256, 1024), None),
    "SiLU": (lambda nn: nn.SiLU(), (256, 1024), None),
    "LeakyReLU": (lambda nn: nn.LeakyReLU(0.01), (256, 1024), None),
    "LayerNorm": (lambda nn: nn.LayerNorm(256), (64, 64, 256), None),
    "Embedding": (lambda nn: nn.Embedding(10000, 128), (64, 128), 10000),
}
KINDS = RECURRENT + ("Transformer",) + tuple(LAYERS)


def build(library, kind, sizes):
    """The layer ``kind`` of ``library`` (tinynn or torch) at the sizes saved with the data."""
    if kind == "Transformer":
        return library.nn.TransformerEncoderLayer(int(sizes["model_size"]), int(sizes["heads"]),
                                                  int(sizes["feedforward"]), dropout=0.0, batch_first=True)
    if kind in LAYERS:
        return LAYERS[kind][0](library.nn)
    return getattr(library.nn, kind)(int(sizes["input_size"]), int(sizes["hidden_size"]))


def input_for(kind, args, rng):
    """The input of the layer ``kind``, as a NumPy array."""
    if kind in LAYERS:
        _, shape, bound = LAYERS[kind]
        return rng.integers(0, bound, shape) if bound else rng.standard_normal(shape).astype(np.float32)
    if kind == "Transformer":
        return rng.standard_normal((args.sequences, args.tokens, args.model_size)).astype(np.float32)
    return rng.standard_normal((args.seq_len, args.batch_size, args.input_size)).astype(np.float32)


def output_of(kind, result):
    """The output tensor of a layer's call (a recurrent layer returns (output, final state))."""
    return result[0] if kind in RECURRENT else result


def timed(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


class Runner:
    """One framework's layers on the saved weights and inputs, ready to time."""

    def __init__(self, framework, data_path, torch_threads, torch_onednn=True):
        data = np.load(data_path)
        kinds = [str(kind) for kind in data["kinds"]]
        if framework == "tinynn":
            import tinynn as library
        else:
            import torch as library
            if torch_threads:
                library.set_num_threads(torch_threads)
            library.backends.mkldnn.enabled = torch_onednn
        self.threads = library.get_num_threads()
        self.runs = {}
        for kind in kinds:
            layer = build(library, kind, data)
            prefix = kind + "."
            layer.load_state_dict({key[len(prefix):]: library.tensor(data[key]) for key in data.files
                                   if key.startswith(prefix)})
            given = data["input." + kind]
            x = library.tensor(given)
            if x.ndim == 4 and data["channels_last"]:  # as a convolution's output lies (tinynn's always)
                x = x.contiguous(memory_format=library.channels_last)
            x.requires_grad_(given.dtype.kind == "f")  # (indices take no gradient)
            self.runs[kind] = lambda kind=kind, layer=layer, x=x: output_of(kind, layer(x)).sum().backward()
            self.runs[kind]()  # warm-up

    def time(self, kind, repeats):
        return timed(self.runs[kind], repeats)


class ProcessWorker:
    def __init__(self, framework, data_path, torch_threads, torch_onednn=True):
        command = [sys.executable, __file__, "--worker", framework, "--data", str(data_path),
                   "--torch-threads", str(torch_threads or 0), "--torch-onednn", "on" if torch_onednn else "off"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.threads = self._read()["threads"]

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"a worker stopped (exit code {self.process.wait()}); its error is printed above")
        return json.loads(line)

    def time(self, kind, repeats):
        self.process.stdin.write(json.dumps({"kind": kind, "repeats": repeats}) + "\n")
        self.process.stdin.flush()
        return self._read()["ms"]

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


def serve(framework, data_path, torch_threads, torch_onednn):
    replies, sys.stdout = sys.stdout, sys.stderr  # whatever the frameworks print must not mix with the replies
    runner = Runner(framework, data_path, torch_threads, torch_onednn)
    print(json.dumps({"threads": runner.threads}), file=replies, flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        print(json.dumps({"ms": runner.time(command["kind"], command["repeats"])}), file=replies, flush=True)


def save_data(path, args):
    """tinynn's initial weights for each layer and its input, for both frameworks."""
    import tinynn

    tinynn.manual_seed(0)
    rng = np.random.default_rng(0)
    arrays = {"kinds": np.array(args.layers), "input_size": args.input_size, "hidden_size": args.hidden_size,
              "model_size": args.model_size, "heads": args.heads, "feedforward": args.feedforward,
              "channels_last": args.channels_last}
    for kind in args.layers:
        layer = build(tinynn, kind, arrays)
        arrays.update({f"{kind}.{key}": value.numpy() for key, value in layer.state_dict().items()})
        arrays["input." + kind] = input_for(kind, args, rng)
    np.savez(path, **arrays)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--seq-len", type=int, default=28)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--input-size", type=int, default=28)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--model-size", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--feedforward", type=int, default=512)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--sequences", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--torch-threads", type=int, default=None)
    parser.add_argument("--torch-onednn", choices=["on", "off"], default="on",
                        help="off: PyTorch's own recurrent kernels instead of oneDNN's")
    parser.add_argument("--channels-last", action="store_true",
                        help="hand 4-D inputs over channels-last in memory (as a convolution's output)")
    parser.add_argument("--same-process", action="store_true", help="run both frameworks in this process")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--worker", choices=["tinynn", "pytorch"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    onednn = args.torch_onednn == "on"
    if args.worker:
        return serve(args.worker, args.data, args.torch_threads, onednn)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("error: PyTorch is not installed; this side-by-side benchmark needs it", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        data_path = Path(folder) / "data.npz"
        save_data(data_path, args)
        start = Runner if args.same_process else ProcessWorker
        workers = {name: start(name, data_path, args.torch_threads, onednn) for name in ("tinynn", "pytorch")}
        try:
            results = {}
            for kind in args.layers:
                rounds = {name: [] for name in workers}
                for _ in range(args.rounds):
                    for name, worker in workers.items():
                        rounds[name].append(worker.time(kind, args.repeats))
                medians = {name: statistics.median(times) for name, times in rounds.items()}
                results[kind] = dict(medians, ratio=medians["tinynn"] / medians["pytorch"])
        finally:
            for worker in workers.values():
                if isinstance(worker, ProcessWorker):
                    worker.close()
    torch_threads = workers["pytorch"].threads
    print(f"forward + backward; recurrent: {args.seq_len} steps, batch {args.batch_size}, {args.input_size} -> "
          f"{args.hidden_size}; transformer: {args.sequences} x {args.tokens} tokens of {args.model_size}, "
          f"{args.heads} heads, feedforward {args.feedforward}")
    print(f"tinynn on {workers['tinynn'].threads} thread(s), PyTorch on {torch_threads} "
          f"({'oneDNN' if onednn else 'ATen, oneDNN off'}), " + ("one process" if args.same_process else "a process each")
          + (", 4-D inputs channels-last" if args.channels_last else ""))
    print(f"{'':12}{'tinynn ms':>12}{'PyTorch ms':>12}{'ratio':>8}")
    for kind, figures in results.items():
        print(f"{kind:12}{figures['tinynn']:12.2f}{figures['pytorch']:12.2f}{figures['ratio']:8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"torch_threads": torch_threads, "tinynn_threads": workers["tinynn"].threads,
                                         "torch_onednn": onednn, "channels_last": args.channels_last,
                                         "same_process": args.same_process, "layers": results}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
