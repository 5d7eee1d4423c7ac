"""Ready-made models. ``MnistTiny`` is the 17,216-parameter network of the seed document (SEED.md)."""
from . import nn
from .nn import functional as F


def _block(in_channels, out_channels, kernel_size, dropout):
    layers = [nn.Conv2d(in_channels, out_channels, kernel_size), nn.ReLU(), nn.BatchNorm2d(out_channels)]
    return layers + [nn.Dropout(dropout)] if dropout is not None else layers


class MnistTiny(nn.Module):
    """Conv-ReLU-BatchNorm(-Dropout) blocks, 1x1 transitions, one max-pool, global average pooling
    and a 16 -> 10 linear classifier: 17,216 parameters, 28x28 input -> 10 logits.

        (N, 1, 28, 28) -> 16x26x26 -> 20x24x24 -> 24x22x22 -> pool 24x11x11 -> 1x1 10x11x11
        -> 16x9x9 -> 20x7x7 -> 24x5x5 -> 1x1 16x5x5 -> global average (N, 16) -> linear (N, 10)
    """

    def __init__(self, dropout=0.1):
        super().__init__()
        self.features = nn.Sequential(
            *_block(1, 16, 3, dropout),
            *_block(16, 20, 3, dropout),
            *_block(20, 24, 3, None),
            nn.MaxPool2d(2),
            *_block(24, 10, 1, None),
            *_block(10, 16, 3, dropout),
            *_block(16, 20, 3, dropout),
            *_block(20, 24, 3, dropout),
            *_block(24, 16, 1, None),
        )
        self.classifier = nn.Linear(16, 10)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)
