"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument."""
import sys
import numpy as np
if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.nn.functional as F
    from tinynn.utils.data import DataLoader, TensorDataset, random_split
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(0)
X = torch.from_numpy(rng.standard_normal((256, 1, 12, 12)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 4, 256))
train, val = random_split(TensorDataset(X, y), [200, 56], generator=torch.Generator().manual_seed(1))

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.drop = nn.Dropout(p=0.1)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.gelu(self.conv2(x))
        x = self.pool(x).view(x.size(0), -1)
        return self.fc(self.drop(x))

model = Net().to(device).to(memory_format=torch.channels_last)
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=3)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
loader = DataLoader(train, batch_size=32, shuffle=True, drop_last=True)
for epoch in range(3):
    model.train()
    running = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device, memory_format=torch.channels_last), yb.to(device)
        optimizer.zero_grad(set_to_none=True)
        out = model(xb)
        loss = criterion(out, yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        running += loss.item() * xb.size(0)
    scheduler.step()
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for xb, yb in DataLoader(val, batch_size=64):
            pred = model(xb).argmax(dim=1)
            correct += (pred == yb).sum().item()
            total += yb.numel()
    print(f"epoch {epoch} loss {running / len(loader.dataset):.3f} acc {correct / total:.3f} lr {scheduler.get_last_lr()[0]:.5f}")
torch.save(model.state_dict(), sys.argv[2])
model2 = Net()
model2.load_state_dict(torch.load(sys.argv[2], map_location="cpu"))
model2.eval()
with torch.inference_mode():
    probs = F.softmax(model2(X[:4]), dim=-1)
print(n_params, probs.shape, probs.sum(dim=1).cpu().numpy().round(4).tolist(), type(probs.detach().cpu().numpy()).__name__)
print(model2.fc.weight.detach().norm().item() > 0, torch.is_tensor(probs), probs.dtype == torch.float32, X.size(), X.dim())
print(isinstance(probs.dtype, torch.dtype), probs.layout == torch.strided, model.conv1.weight.is_contiguous(memory_format=torch.channels_last),
      torch.zeros(2, 3, 4, 5).contiguous(memory_format=torch.channels_last).stride(),
      model2.conv2(model2.bn1(model2.conv1(X[:2]))).view(2, -1).shape)
