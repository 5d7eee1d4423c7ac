"""Train the seed document's 17,216-parameter convnet on MNIST (>= 99.4% test accuracy in 20 epochs).

    python examples/mnist_tiny.py                     # CPU, 20 epochs
    python examples/mnist_tiny.py --device gpu        # CuPy on a CUDA GPU
    python examples/mnist_tiny.py --epochs 1 --limit 2000 --data-dir ../shared/data/mnist

Recipe: SGD with Nesterov momentum under a one-cycle learning-rate schedule, light dropout and a
small random rotation/translation of the training images. The checkpoint (``--checkpoint``) holds
everything needed to resume exactly (model, optimizer, schedule, epoch, step, random generators)
plus the best model's weights; Ctrl-C saves it and exits.
"""
import argparse
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tqdm import tqdm  # noqa: E402

import tinynn  # noqa: E402
from tinynn.data import MNIST, DataLoader, default_data_dir, transforms  # noqa: E402
from tinynn.data.mnist import MEAN, STD  # noqa: E402
from tinynn.guard import NonFiniteError, check_finite  # noqa: E402
from tinynn.models import MnistTiny  # noqa: E402
from tinynn.nn import functional as F  # noqa: E402


def number(kind, low, high=None, high_included=False):
    """An argparse type: a ``kind`` (int or float) >= ``low`` (and < ``high``, or <= with ``high_included``),
    so that a bad value is a usage error naming the option, not a traceback from deep in training."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}")
        above_high = high is not None and (value > high if high_included else value >= high)
        if not value >= low or above_high:  # (NaN too)
            upper = "" if high is None else f" and {'<=' if high_included else '<'} {high}"
            raise argparse.ArgumentTypeError(f"expected a value >= {low}{upper}, got {text}")
        return value
    parse.__name__ = kind.__name__  # (argparse names the type in its own messages)
    return parse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train the 17,216-parameter MNIST convnet with tinynn.")
    parser.add_argument("--device", default="cpu", help="cpu or gpu (alias cuda)")
    parser.add_argument("--epochs", type=number(int, 1), default=20)
    parser.add_argument("--batch-size", type=number(int, 1), default=128)
    parser.add_argument("--lr", type=number(float, 0), default=0.05, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--momentum", type=number(float, 0, 1, high_included=True), default=0.9)
    parser.add_argument("--weight-decay", type=number(float, 0), default=5e-5)
    parser.add_argument("--dropout", type=number(float, 0, 1), default=0.05)
    parser.add_argument("--no-augment", action="store_true", help="train without random rotation/translation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST .gz files "
                        "(default: $TINYNN_DATA, else ~/.cache/tinynn)")
    parser.add_argument("--checkpoint", default=None, help="save a resumable checkpoint (with the best model) here")
    parser.add_argument("--resume", default=None, help="resume from this checkpoint")
    parser.add_argument("--plot", default=None, help="write a PNG of loss and accuracy per epoch (needs matplotlib)")
    parser.add_argument("--tensorboard", default=None, metavar="DIR",
                        help="log the loss, accuracy and learning rate for TensorBoard in DIR (tensorboard --logdir DIR)")
    parser.add_argument("--limit", type=number(int, 1), default=None, help="train on the first N training images only")
    parser.add_argument("--test-limit", type=number(int, 1), default=None,
                        help="evaluate on the first N test images only")
    parser.add_argument("--log-every", type=number(int, 1), default=10, help="read the loss back every N steps")
    parser.add_argument("--no-guard", action="store_true", help="do not stop on a non-finite loss or gradient")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


SCHEDULE_ARGS = ("epochs", "batch_size", "lr", "limit")  # a resumed run must keep these


class Run:
    """Model, data, optimizer and schedule for one training run, and the loop that drives them."""

    def __init__(self, args):
        self.args = args
        tinynn.manual_seed(args.seed)
        self.device = tinynn.backend.canonical_device(args.device)
        data_dir = args.data_dir or default_data_dir()
        augment = [] if args.no_augment else [transforms.RandomAffine(degrees=7, translate=(0.08, 0.08))]
        normalize = transforms.Normalize(MEAN, STD)  # (0.1307,), (0.3081,) as in the seed
        self.train_set = MNIST(data_dir, train=True, transform=transforms.Compose(augment + [normalize]),
                               limit=args.limit).to(self.device)
        self.test_set = MNIST(data_dir, train=False, transform=normalize, limit=args.test_limit).to(self.device)
        self.train_loader = DataLoader(self.train_set, args.batch_size, shuffle=True, seed=args.seed)
        self.test_loader = DataLoader(self.test_set, 1000)
        self.model = MnistTiny(dropout=args.dropout).to(self.device)
        self.optimizer = tinynn.optim.SGD(self.model.parameters(), lr=args.lr, momentum=args.momentum,
                                          nesterov=True, weight_decay=args.weight_decay)
        self.schedule_args = {name: getattr(args, name) for name in SCHEDULE_ARGS}
        self.scheduler = tinynn.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(self.train_loader),
            pct_start=0.2, div_factor=10.0, final_div_factor=100.0)
        self.epoch, self.step = 1, 0  # the next epoch to run, and steps already done in it
        self.loss_sum, self.loss_count = None, 0  # this epoch's summed training loss so far (on the device)
        self.stop_requested = False
        self.history = []
        self.best = {"accuracy": -1.0, "epoch": 0, "state": None}
        self.writer = None  # a SummaryWriter, opened by fit() with --tensorboard

    def global_step(self):
        return (self.epoch - 1) * len(self.train_loader) + self.step

    # ----- checkpoints -------------------------------------------------------------------
    def state_dict(self):
        return {
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "loader": self.train_loader.state_dict(),
            "rng": tinynn.get_rng_state(), "epoch": self.epoch, "step": self.step, "history": self.history,
            "epoch_loss": [self.loss_sum.item() if self.loss_sum is not None else None, self.loss_count],
            "best_accuracy": self.best["accuracy"], "best_epoch": self.best["epoch"],
            "best_model": self.best["state"] or self.model.state_dict(), "args": vars(self.args),
            "schedule_args": self.schedule_args,
        }

    def load_state_dict(self, state):
        saved = state.get("schedule_args", {})
        changed = [f"--{name.replace('_', '-')} {saved[name]} (now {value})"
                   for name, value in self.schedule_args.items() if name in saved and saved[name] != value]
        if changed:
            raise ValueError(f"it was made with {', '.join(changed)}; these fix the one-cycle learning-rate "
                             f"schedule, so resume with the values it was made with")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.train_loader.load_state_dict(state["loader"])
        tinynn.set_rng_state(state["rng"])
        self.epoch, self.step, self.history = state["epoch"], state["step"], list(state["history"])
        loss_sum, self.loss_count = state["epoch_loss"]
        self.loss_sum = None if loss_sum is None else tinynn.tensor(loss_sum, device=self.device)
        self.best = {"accuracy": state["best_accuracy"], "epoch": state["best_epoch"], "state": state["best_model"]}

    def save(self):
        if self.args.checkpoint:
            tinynn.save(self.state_dict(), self.args.checkpoint)

    # ----- training ------------------------------------------------------------------------
    def train_epoch(self):
        self.model.train()
        bar = tqdm(self.train_loader, initial=self.step, total=len(self.train_loader),
                   disable=self.args.no_progress, file=sys.stdout, dynamic_ncols=False)
        for images, labels in bar:
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.model(images), labels)
            loss.backward()
            if not self.args.no_guard and (self.device == "cpu" or self.step % self.args.log_every == 0):
                check_finite(loss, self.model.named_parameters(), self.epoch, self.step)
            self.optimizer.step()
            self.scheduler.step()
            # Sum losses on the device; reading one back forces a GPU sync, so only every log_every steps.
            batch_loss = loss.detach() * labels.shape[0]
            self.loss_sum = batch_loss if self.loss_sum is None else self.loss_sum + batch_loss
            self.loss_count += labels.shape[0]
            if self.step % self.args.log_every == 0 or self.step == len(self.train_loader) - 1:
                value = loss.item()
                bar.set_description(f"loss={value} batch_id={self.step}")
                if self.writer is not None:
                    self.writer.add_scalar("loss/train_step", value, self.global_step())
                    self.writer.add_scalar("learning_rate", self.scheduler.get_last_lr()[0], self.global_step())
            self.step += 1
            if self.stop_requested:  # only between steps, so the saved state is consistent
                raise KeyboardInterrupt
        mean_loss = self.loss_sum.item() / self.loss_count if self.loss_sum is not None else float("nan")
        self.loss_sum, self.loss_count = None, 0
        return mean_loss

    def evaluate(self):
        self.model.eval()
        loss_sum, correct = 0.0, 0
        with tinynn.no_grad():
            for images, labels in self.test_loader:  # summed on the device, read back once
                logits = self.model(images)
                loss_sum = F.cross_entropy(logits, labels, reduction="sum").double() + loss_sum
                correct = (logits.argmax(axis=1) == labels).sum() + correct
        count = len(self.test_set)
        return float(loss_sum) / count, int(correct), count

    def request_stop(self, *_):
        """First Ctrl-C: finish the current step, then stop (and save); a second one stops at once."""
        self.stop_requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def fit(self):
        if self.args.tensorboard:
            from tinynn.utils.tensorboard import SummaryWriter

            # a resumed run's purge_step makes TensorBoard drop what the first run logged after it
            with SummaryWriter(self.args.tensorboard, purge_step=self.global_step() or None) as self.writer:
                self._fit()
            self.writer = None
        else:
            self._fit()

    def _fit(self):
        args = self.args
        epoch_seconds = []
        while self.epoch <= args.epochs:
            print(f"Epoch number: {self.epoch}")
            start = time.perf_counter()
            train_loss = self.train_epoch()
            seconds = time.perf_counter() - start
            epoch_seconds.append(seconds)
            test_loss, correct, count = self.evaluate()
            accuracy = 100.0 * correct / count
            print(f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{count} ({accuracy:.2f}%)", flush=True)
            self.history.append({"epoch": self.epoch, "train_loss": train_loss, "test_loss": test_loss,
                                 "test_accuracy": accuracy, "seconds": seconds})
            if self.writer is not None:
                for tag, value in (("loss/train", train_loss), ("loss/test", test_loss), ("accuracy/test", accuracy),
                                   ("seconds_per_epoch", seconds)):
                    self.writer.add_scalar(tag, value, self.epoch)
            if accuracy > self.best["accuracy"]:
                self.best = {"accuracy": accuracy, "epoch": self.epoch,
                             "state": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}}
            self.epoch, self.step = self.epoch + 1, 0
            self.save()
        if self.history:
            mean_seconds = sum(epoch_seconds) / max(len(epoch_seconds), 1)
            print(f"Best test accuracy: {self.best['accuracy']:.2f}% at epoch {self.best['epoch']}; "
                  f"{mean_seconds:.1f} s per epoch (training, {self.device})")


def plot_history(history, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"--plot needs matplotlib, which is not installed: pip install 'tinynn[plot]' "
              f"(skipped writing {path})", file=sys.stderr)
        return
    epochs = [h["epoch"] for h in history]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, [h["train_loss"] for h in history], label="train")
    left.plot(epochs, [h["test_loss"] for h in history], label="test")
    left.set_xlabel("epoch"), left.set_ylabel("cross-entropy"), left.legend()
    right.plot(epochs, [h["test_accuracy"] for h in history], label="test")
    right.set_xlabel("epoch"), right.set_ylabel("accuracy (%)"), right.legend()
    figure.tight_layout()
    figure.savefig(path)
    print(f"Wrote {path}")


def main(argv=None):
    args = parse_args(argv)
    try:
        tinynn.backend.canonical_device(args.device)
        if tinynn.backend.canonical_device(args.device) == "gpu":
            tinynn.backend.cupy_module()
    except (tinynn.DeviceError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        run = Run(args)
    except (FileNotFoundError, tinynn.data.DownloadError, tinynn.data.DataFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.resume:
        try:
            run.load_state_dict(tinynn.load(args.resume))
        except (OSError, ValueError, KeyError) as error:
            print(f"error: cannot resume from {args.resume}: {error}", file=sys.stderr)
            return 2
        print(f"Resumed from {args.resume} at epoch {run.epoch}, step {run.step}")
    tinynn.summary(run.model, input_size=(1, 28, 28))
    signal.signal(signal.SIGINT, run.request_stop)
    try:
        run.fit()
    except KeyboardInterrupt:
        if args.checkpoint:
            run.save()
            print(f"\nInterrupted: saved a resumable checkpoint to {args.checkpoint} "
                  f"(epoch {run.epoch}, step {run.step}); continue with --resume {args.checkpoint}")
        else:
            print("\nInterrupted (no --checkpoint given, nothing saved)")
        return 130
    except NonFiniteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    if args.plot:
        plot_history(run.history, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
