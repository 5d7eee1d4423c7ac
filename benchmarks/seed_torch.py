"""The seed network in PyTorch, built to match ``tinynn.models.MnistTiny`` key for key (the benchmark's peer)."""


def torch_mnist_tiny(torch, dropout=0.1):
    nn = torch.nn

    def block(i, o, k, drop=True):
        return [nn.Conv2d(i, o, k), nn.ReLU(), nn.BatchNorm2d(o)] + ([nn.Dropout(dropout)] if drop else [])

    class MnistTiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*block(1, 16, 3), *block(16, 20, 3), *block(20, 24, 3, False),
                                          nn.MaxPool2d(2), *block(24, 10, 1, False), *block(10, 16, 3),
                                          *block(16, 20, 3), *block(20, 24, 3), *block(24, 16, 1, False))
            self.classifier = nn.Linear(16, 10)

        def forward(self, x):
            return self.classifier(torch.nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1))

    return MnistTiny()
