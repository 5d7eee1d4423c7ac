"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument."""
import sys
import numpy as np
if sys.argv[1] == "tinynn":
    import tinynn as torch
    from tinynn.utils.data import Dataset, DataLoader, Subset, ConcatDataset, WeightedRandomSampler, default_collate
else:
    import torch
    from torch.utils.data import Dataset, DataLoader, Subset, ConcatDataset, WeightedRandomSampler, default_collate
class Toy(Dataset):
    def __init__(self, n, offset=0):
        self.x = np.arange(n * 2, dtype=np.float32).reshape(n, 2) + offset
        self.y = np.arange(n) % 3
    def __len__(self):
        return len(self.y)
    def __getitem__(self, i):
        return {"x": torch.from_numpy(self.x[i]), "y": int(self.y[i]), "name": f"item{i}"}
def collate(batch):
    out = default_collate(batch)
    out["lengths"] = torch.tensor([len(b["name"]) for b in batch])
    return out
if __name__ == "__main__":
    ds = ConcatDataset([Toy(6), Toy(4, offset=100)])
    sub = Subset(ds, [0, 2, 4, 6, 8])
    loader = DataLoader(sub, batch_size=2, collate_fn=collate, num_workers=2)
    for batch in loader:
        print(sorted(batch.keys()), tuple(batch["x"].shape), batch["y"].tolist(), batch["name"], batch["lengths"].tolist())
    weights = torch.tensor([0.1, 0.0, 5.0, 0.0, 1.0])
    sampler = WeightedRandomSampler(weights, num_samples=6, replacement=True, generator=torch.Generator().manual_seed(0))
    picked = list(sampler)
    print(len(picked), all(i in (0, 2, 4) for i in picked))
    print(len(ds), ds[7]["x"].tolist(), len(DataLoader(ds, batch_size=4, drop_last=True)))
