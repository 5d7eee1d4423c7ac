"""The seed network in PyTorch, built to match ``tinynn.models.MnistTiny`` key for key (the benchmark's peer)."""
from seed_peers import BLOCKS, DROPOUT


def torch_mnist_tiny(torch, dropout=DROPOUT):
    nn = torch.nn

    def block(i, o, k, drop):
        return [nn.Conv2d(i, o, k), nn.ReLU(), nn.BatchNorm2d(o)] + ([nn.Dropout(dropout)] if drop else [])

    class MnistTiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*(layer for spec in BLOCKS
                                            for layer in ([nn.MaxPool2d(2)] if spec == "pool" else block(*spec))))
            self.classifier = nn.Linear(16, 10)

        def forward(self, x):
            return self.classifier(torch.nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1))

    return MnistTiny()
