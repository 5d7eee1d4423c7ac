"""The seed network in Chainer and in DeZero, the NumPy frameworks tinynn measures itself against
(``bench_train.py --peers chainer,dezero``), built layer for layer like ``tinynn.models.MnistTiny``
and given its weights, keyed as in its state_dict.

Neither runs on NumPy 2: Chainer 7.8 (its last release) needs NumPy < 2, DeZero 0.0.13 NumPy < 1.24
(and matplotlib). ``bench_train.py --python chainer=PATH`` runs a peer's worker with the Python of a
virtual environment that has them, for example:

    python -m venv peers && peers/bin/pip install "numpy==1.23.5" "matplotlib<3.8" "setuptools<70"
    peers/bin/pip install --no-build-isolation chainer dezero

Differences that remain, neither of which changes the work a step does: both peers' batch norm
runs over NCHW arrays (tinynn's over channels-last memory), and DeZero's has eps 2e-5 fixed
(tinynn's and Chainer's here: 1e-5).
"""
import numpy as np

# MnistTiny's blocks, as in tinynn/models.py: (in, out, kernel, dropout after it), or "pool"
BLOCKS = [(1, 16, 3, True), (16, 20, 3, True), (20, 24, 3, False), "pool", (24, 10, 1, False), (10, 16, 3, True),
          (16, 20, 3, True), (20, 24, 3, True), (24, 16, 1, False)]
DROPOUT = 0.1


def block_keys():
    """For each conv block, the state_dict prefixes of its conv and batch norm ("features.0", "features.2")."""
    keys, index = [], 0
    for block in BLOCKS:
        if block == "pool":
            index += 1
            continue
        keys.append((f"features.{index}", f"features.{index + 2}"))
        index += 4 if block[3] else 3  # conv, relu, batch norm (, dropout)
    return keys


def _blocks():
    return [block for block in BLOCKS if block != "pool"]


def chainer_mnist_tiny(weights):
    import chainer
    from chainer import functions as F, links as L

    class MnistTiny(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.convs = chainer.ChainList(*(L.Convolution2D(i, o, k) for i, o, k, _ in _blocks()))
                self.norms = chainer.ChainList(*(L.BatchNormalization(o, decay=0.9, eps=1e-5) for _, o, _, _ in _blocks()))
                self.classifier = L.Linear(16, 10)

        def forward(self, x):
            layers = iter(zip(self.convs, self.norms, _blocks()))
            for block in BLOCKS:
                if block == "pool":
                    x = F.max_pooling_2d(x, 2, 2, cover_all=False)
                    continue
                conv, norm, (_, _, _, drop) = next(layers)
                x = norm(F.relu(conv(x)))
                if drop:
                    x = F.dropout(x, DROPOUT)
            return self.classifier(F.mean(x, axis=(2, 3)))

    model = MnistTiny()
    for (conv_key, norm_key), conv, norm in zip(block_keys(), model.convs, model.norms):
        conv.W.array[...], conv.b.array[...] = weights[f"{conv_key}.weight"], weights[f"{conv_key}.bias"]
        norm.gamma.array[...], norm.beta.array[...] = weights[f"{norm_key}.weight"], weights[f"{norm_key}.bias"]
        norm.avg_mean[...], norm.avg_var[...] = weights[f"{norm_key}.running_mean"], weights[f"{norm_key}.running_var"]
    model.classifier.W.array[...] = weights["classifier.weight"]
    model.classifier.b.array[...] = weights["classifier.bias"]
    return model


def dezero_mnist_tiny(weights):
    import dezero
    from dezero import functions as F, layers as L

    class MnistTiny(dezero.Model):
        def __init__(self):
            super().__init__()
            self.convs = [L.Conv2d(o, k, in_channels=i) for i, o, k, _ in _blocks()]
            self.norms = [L.BatchNorm() for _ in _blocks()]
            for index, (conv, norm) in enumerate(zip(self.convs, self.norms)):  # registered as layers
                setattr(self, f"conv{index}", conv)
                setattr(self, f"norm{index}", norm)
            self.classifier = L.Linear(10, in_size=16)

        def forward(self, x):
            layers = iter(zip(self.convs, self.norms, _blocks()))
            for block in BLOCKS:
                if block == "pool":
                    x = F.pooling(x, 2, 2)
                    continue
                conv, norm, (_, _, _, drop) = next(layers)
                x = norm(F.relu(conv(x)))
                if drop:
                    x = F.dropout(x, DROPOUT)
            n, channels, height, width = x.shape  # one axis to sum: DeZero's sum cannot go back through two
            return self.classifier(F.sum(F.reshape(x, (n, channels, height * width)), axis=2) / (height * width))

    model = MnistTiny()
    as_float32 = {key: np.asarray(value, dtype=np.float32) for key, value in weights.items()}
    for (conv_key, norm_key), conv, norm in zip(block_keys(), model.convs, model.norms):
        conv.W.data, conv.b.data = as_float32[f"{conv_key}.weight"].copy(), as_float32[f"{conv_key}.bias"].copy()
        norm.gamma.data, norm.beta.data = as_float32[f"{norm_key}.weight"].copy(), as_float32[f"{norm_key}.bias"].copy()
        norm.avg_mean.data = as_float32[f"{norm_key}.running_mean"].copy()
        norm.avg_var.data = as_float32[f"{norm_key}.running_var"].copy()
    model.classifier.W.data = as_float32["classifier.weight"].T.copy()  # DeZero's Linear computes x @ W
    model.classifier.b.data = as_float32["classifier.bias"].copy()
    return model
