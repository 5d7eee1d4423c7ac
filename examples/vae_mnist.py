"""A variational autoencoder on MNIST (Kingma and Welling, 2014), with tinynn.distributions.

    python examples/vae_mnist.py [--epochs 10] [--latent 16] [--batch-size 128] [--lr 1e-3]
                                 [--data-dir DIR] [--limit N] [--device cpu|gpu] [--seed 0] [--samples PATH]

The encoder maps an image to a diagonal Gaussian q(z | x) over ``--latent`` dimensions; a draw
z = mu + sigma * e (``rsample``: the gradient flows through the draw to mu and sigma) is decoded
into Bernoulli logits of the 784 pixels. Training maximises the evidence lower bound,

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || N(0, I)),

the first term one draw's Bernoulli log-likelihood, the second in closed form
(``kl_divergence``). Each epoch prints the test set's mean negative ELBO in nats per image (lower
is better; it bounds -log p(x) from above); ``--samples`` saves decoded draws from the prior as a
PNG-free NumPy array (.npy) to look at.
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import tinynn  # noqa: E402
from tinynn import distributions as D, nn  # noqa: E402
from tinynn.data import MNIST, DataLoader  # noqa: E402


class VAE(nn.Module):
    def __init__(self, latent=16, hidden=256):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784))
        self.latent = latent

    def posterior(self, images):
        """q(z | x): a diagonal Gaussian, its scale kept positive by a softplus."""
        mean, raw_scale = self.encoder(images).chunk(2, dim=1)
        return D.Independent(D.Normal(mean, nn.functional.softplus(raw_scale) + 1e-4), 1)

    def prior(self, batch, like):
        zeros = tinynn.zeros(batch, self.latent, dtype=like.dtype, device=like.device)
        return D.Independent(D.Normal(zeros, zeros + 1), 1)

    def negative_elbo(self, images):
        """The mean over the batch of -ELBO, in nats per image, and its two parts."""
        q = self.posterior(images)
        z = q.rsample()
        logits = self.decoder(z)
        targets = images.reshape(images.shape[0], -1)
        reconstruction = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(1)
        kl = D.kl_divergence(q, self.prior(images.shape[0], images))
        return (reconstruction + kl).mean(), reconstruction.mean(), kl.mean()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--latent", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training and test images")
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=Path, default=None, help="save 64 images decoded from the prior (.npy)")
    return parser.parse_args(argv)


def evaluate(model, loader):
    with tinynn.no_grad():
        totals = [model.negative_elbo(images)[0].item() * len(images) for images, _ in loader]
    return sum(totals) / len(loader.dataset)


def main(argv=None):
    args = parse_args(argv)
    tinynn.manual_seed(args.seed)
    train = MNIST(args.data_dir, train=True, limit=args.limit)
    test = MNIST(args.data_dir, train=False, limit=args.limit)
    if args.device == "gpu":
        train.to("gpu"), test.to("gpu")
    model = VAE(args.latent).to(args.device)
    optimizer = tinynn.optim.Adam(model.parameters(), lr=args.lr)
    train_loader = DataLoader(train, args.batch_size, shuffle=True, device=args.device)
    test_loader = DataLoader(test, 1000, device=args.device)
    history = [{"epoch": 0, "test_nelbo": evaluate(model, test_loader)}]
    print(f"before training: test -ELBO {history[0]['test_nelbo']:.1f} nats per image")
    for epoch in range(1, args.epochs + 1):
        started, seen, total = time.perf_counter(), 0, 0.0
        for images, _ in train_loader:
            loss, _, _ = model.negative_elbo(images)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen, total = seen + len(images), total + loss.item() * len(images)
        seconds = time.perf_counter() - started
        history.append({"epoch": epoch, "train_nelbo": total / seen, "test_nelbo": evaluate(model, test_loader),
                        "seconds": seconds})
        print(f"epoch {epoch}: train -ELBO {history[-1]['train_nelbo']:.1f}, test -ELBO "
              f"{history[-1]['test_nelbo']:.1f} nats per image ({seconds:.1f} s)")
    if args.samples is not None:
        with tinynn.no_grad():
            z = model.prior(64, next(iter(model.parameters()))).sample()
            images = model.decoder(z).sigmoid().reshape(64, 28, 28).numpy()
        np.save(args.samples, images)
        print(f"saved 64 samples from the prior to {args.samples}")
    return history


if __name__ == "__main__":
    main()
