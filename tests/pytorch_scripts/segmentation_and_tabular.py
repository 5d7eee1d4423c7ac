"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument. A small
U-Net for segmentation (skip connections by cat, ConvTranspose2d and interpolate upsampling, per-pixel
cross entropy with class weights and ignore_index beside a soft Dice loss), and a tabular model
(embeddings of categorical columns, BatchNorm1d, BCEWithLogitsLoss with pos_weight, ReduceLROnPlateau with
early stopping, and the ROC AUC computed by sort and cumsum)."""
import sys

import numpy as np

if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(5)


def fill(module, scale=0.3):
    """The same weights in both frameworks: a ramp over each parameter."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.linspace(-scale, scale, parameter.numel()).reshape(parameter.shape))
    return module


# ----- a small U-Net ----------------------------------------------------------------------------
def double_conv(channels_in, channels_out):
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, padding=1), nn.BatchNorm2d(channels_out), nn.ReLU(),
                         nn.Conv2d(channels_out, channels_out, 3, padding=1), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.down1, self.down2, self.bottom = double_conv(1, 4), double_conv(4, 8), double_conv(8, 8)
        self.up2 = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.merge2 = double_conv(16, 4)
        self.merge1 = double_conv(8, 4)
        self.classify = nn.Conv2d(4, classes, 1)

    def forward(self, x):
        skip1 = self.down1(x)
        skip2 = self.down2(F.max_pool2d(skip1, 2))
        bottom = self.bottom(F.max_pool2d(skip2, 2))
        up = self.merge2(torch.cat([self.up2(bottom), skip2], dim=1))
        up = F.interpolate(up, scale_factor=2, mode="bilinear", align_corners=False)
        return self.classify(self.merge1(torch.cat([up, skip1], dim=1)))


def dice_loss(logits, target, classes, smooth=1.0):
    probabilities = logits.softmax(1)
    one_hot = F.one_hot(target.clamp(min=0), classes).permute(0, 3, 1, 2).double()
    valid = (target >= 0).unsqueeze(1).double()
    intersection = (probabilities * one_hot * valid).sum((0, 2, 3))
    total = ((probabilities + one_hot) * valid).sum((0, 2, 3))
    return 1 - ((2 * intersection + smooth) / (total + smooth)).mean()


images = torch.from_numpy(rng.standard_normal((2, 1, 16, 16)))
masks = torch.from_numpy(rng.integers(0, 3, (2, 16, 16)))
masks[:, :2, :] = -1  # a border to ignore
unet = fill(UNet())
optimizer = torch.optim.Adam(unet.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss(weight=torch.tensor([0.5, 1.0, 2.0]), ignore_index=-1)
for step in range(3):
    logits = unet(images)
    cross_entropy, dice = criterion(logits, masks), dice_loss(logits, masks, 3)
    optimizer.zero_grad()
    (cross_entropy + dice).backward()
    optimizer.step()
    predicted = logits.argmax(1)
    accuracy = ((predicted == masks) & (masks >= 0)).sum().item() / (masks >= 0).sum().item()
    print(f"unet step {step}: cross entropy {cross_entropy.item():.9f} dice {dice.item():.9f} "
          f"pixel accuracy {accuracy:.4f}")

# ----- a tabular model ------------------------------------------------------------------------
rows = 64
categories = torch.from_numpy(np.stack([rng.integers(0, 5, rows), rng.integers(0, 3, rows)], 1))
numbers = torch.from_numpy(rng.standard_normal((rows, 4)))
outcome = torch.from_numpy((rng.uniform(size=rows) < 0.25).astype(np.float64))


class Tabular(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = nn.ModuleList([nn.Embedding(5, 3), nn.Embedding(3, 2)])
        self.body = nn.Sequential(nn.Linear(3 + 2 + 4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.0),
                                  nn.Linear(16, 1))

    def forward(self, categorical, continuous):
        embedded = [embedding(categorical[:, k]) for k, embedding in enumerate(self.embeddings)]
        return self.body(torch.cat(embedded + [continuous], dim=1)).squeeze(1)


def roc_auc(scores, labels):
    order = scores.argsort(descending=True)
    hits = labels[order]
    true_positive_rate = hits.cumsum(0) / hits.sum()
    false_positive_rate = (1 - hits).cumsum(0) / (1 - hits).sum()
    return torch.trapezoid(true_positive_rate, false_positive_rate).item()


tabular = fill(Tabular())
optimizer = torch.optim.AdamW(tabular.parameters(), lr=0.01)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=1)
criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(3.0))
best, waited = 0.0, 0
for epoch in range(8):
    tabular.train()
    loss = criterion(tabular(categories, numbers), outcome)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    tabular.eval()
    with torch.no_grad():
        auc = roc_auc(torch.sigmoid(tabular(categories, numbers)), outcome)
    plateau.step(auc)
    print(f"tabular epoch {epoch}: loss {loss.item():.9f} auc {auc:.6f} lr {optimizer.param_groups[0]['lr']:.6f}")
    if auc > best + 1e-4:
        best, waited = auc, 0
    else:
        waited += 1
        if waited >= 3:
            print("early stop at epoch", epoch)
            break
