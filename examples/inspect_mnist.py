"""Look inside the seed network while it trains: per layer, activation statistics and gradient norms.

    python examples/inspect_mnist.py --steps 60 --data-dir ../shared/data/mnist
    python examples/inspect_mnist.py --plot inspect.png      # a picture, when matplotlib is installed

This is the view a learner wants when asking "is my gradient vanishing?": forward hooks record
each layer's output (mean, standard deviation, fraction of zeros), backward hooks record the norm
of the gradient arriving at each layer's output, and after backward the norm of each parameter's
gradient is read. Printed as a table every ``--every`` steps; plotted per step with ``--plot``.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import tinynn  # noqa: E402
from tinynn.data import MNIST, DataLoader, default_data_dir, transforms  # noqa: E402
from tinynn.data.mnist import MEAN, STD  # noqa: E402
from tinynn.models import MnistTiny  # noqa: E402
from tinynn.nn import functional as F  # noqa: E402


class LayerRecorder:
    """Hooks on every leaf layer; ``rows`` holds one dict of statistics per layer for the last step."""

    def __init__(self, model):
        self.names = {}
        self.stats = {}
        self.handles = []
        for name, module in model.named_modules():
            if next(module.children(), None) is None:
                self.names[id(module)] = f"{name} {type(module).__name__}"
                self.handles.append(module.register_forward_hook(self.on_forward))
                self.handles.append(module.register_full_backward_hook(self.on_backward))

    def on_forward(self, module, inputs, output):
        values = output.numpy()
        self.stats[self.names[id(module)]] = {"mean": float(values.mean()), "std": float(values.std()),
                                             "zeros": float((values == 0).mean())}

    def on_backward(self, module, grad_input, grad_output):
        self.stats[self.names[id(module)]]["grad_norm"] = float(np.linalg.norm(grad_output[0].numpy()))

    def remove(self):
        for handle in self.handles:
            handle.remove()


def parameter_grad_norms(model):
    return {name: float(np.linalg.norm(p.grad.numpy())) for name, p in model.named_parameters() if p.grad is not None}


def print_table(step, loss, stats, grads):
    print(f"\nstep {step}, loss {loss:.4f}")
    print(f"{'layer':<26}{'act mean':>10}{'act std':>10}{'zeros':>8}{'|dL/dout|':>12}{'|dL/dW|':>11}")
    for layer, row in stats.items():
        weight_name = layer.split()[0] + ".weight"
        weight_grad = grads.get(weight_name)
        print(f"{layer:<26}{row['mean']:>10.4f}{row['std']:>10.4f}{row['zeros']:>8.2f}"
              f"{row.get('grad_norm', float('nan')):>12.2e}"
              f"{weight_grad if weight_grad is not None else float('nan'):>11.2e}")


def plot(history, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"--plot needs matplotlib (pip install 'tinynn[plot]'); the table above has the same figures "
              f"(skipped writing {path})", file=sys.stderr)
        return False
    layers = [name for name in history[0]["stats"] if "Conv2d" in name or "Linear" in name]
    steps = [entry["step"] for entry in history]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
    for layer in layers:
        top.plot(steps, [entry["stats"][layer]["std"] for entry in history], label=layer)
        bottom.semilogy(steps, [entry["stats"][layer].get("grad_norm", np.nan) for entry in history], label=layer)
    top.set_ylabel("activation std"), bottom.set_ylabel("|dL/d output|"), bottom.set_xlabel("step")
    top.legend(fontsize=7, ncol=3)
    figure.tight_layout()
    figure.savefig(path)
    print(f"Wrote {path}")
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="Per-layer activation and gradient statistics while training.")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--every", type=int, default=20, help="print the table every N steps")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--plot", default=None, help="write a PNG of the statistics per step")
    args = parser.parse_args(argv)
    tinynn.manual_seed(0)
    dataset = MNIST(args.data_dir or default_data_dir(), train=True, limit=args.steps * args.batch_size,
                    transform=transforms.Normalize(MEAN, STD)).to(args.device)
    model = MnistTiny().to(args.device)
    optimizer = tinynn.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    recorder = LayerRecorder(model)
    history = []
    loader = DataLoader(dataset, args.batch_size, shuffle=True, seed=0)
    for step, (images, labels) in enumerate(loader):
        if step >= args.steps:
            break
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        grads = parameter_grad_norms(model)
        optimizer.step()
        history.append({"step": step, "loss": loss.item(), "stats": {k: dict(v) for k, v in recorder.stats.items()},
                        "grads": grads})
        if step % args.every == 0 or step == args.steps - 1:
            print_table(step, loss.item(), recorder.stats, grads)
    recorder.remove()
    if args.plot:
        plot(history, args.plot)
    return history


if __name__ == "__main__":
    main()
