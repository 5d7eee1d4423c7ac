"""examples/vae_mnist.py on a slice of real MNIST: the negative ELBO falls, the KL is the closed
form of the two Gaussians, the prior's samples are images."""
import numpy as np

import tinynn
from tinynn import distributions as D
from helpers import load_script

vae = load_script("examples/vae_mnist.py")


def test_two_short_epochs_lower_the_negative_elbo_and_save_samples(mnist_dir, tmp_path, capsys):
    samples = tmp_path / "samples.npy"
    history = vae.main(["--data-dir", str(mnist_dir), "--epochs", "2", "--limit", "4000", "--batch-size", "64",
                        "--samples", str(samples)])
    # here: 549.7 before training, 208.6 and 182.0 nats after the two epochs
    assert np.isfinite([entry["test_nelbo"] for entry in history]).all()
    assert history[2]["test_nelbo"] < history[1]["test_nelbo"] < 0.45 * history[0]["test_nelbo"]
    images = np.load(samples)
    assert images.shape == (64, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert "epoch 2: train -ELBO" in capsys.readouterr().out


def test_the_kl_term_is_the_closed_form_for_diagonal_gaussians():
    model = vae.VAE(latent=3)
    images = tinynn.rand(5, 1, 28, 28)
    q = model.posterior(images)
    mean, scale = q.base_dist.loc.numpy(), q.base_dist.scale.numpy()
    expected = 0.5 * (scale ** 2 + mean ** 2 - 1 - 2 * np.log(scale)).sum(1)
    kl = D.kl_divergence(q, model.prior(5, images)).numpy()
    np.testing.assert_allclose(kl, expected, rtol=1e-5)
