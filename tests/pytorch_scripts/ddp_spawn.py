"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: PyTorch's DDP tutorial (processes started by
multiprocessing.spawn, gloo over localhost, a checkpoint saved by rank 0 and loaded by every rank after a
barrier). (A failing process is tested in tests/test_multiprocessing.py: PyTorch's own children sometimes
abort on the way out, "terminate called without an active exception", which makes its report a signal.)"""
import os
import socket
import sys
if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.distributed as dist
    import tinynn.multiprocessing as mp
    import tinynn.nn as nn
    import tinynn.optim as optim
    from tinynn.nn.parallel import DistributedDataParallel as DDP
else:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn as nn
    import torch.optim as optim
    from torch.nn.parallel import DistributedDataParallel as DDP


def setup(rank, world_size, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = port
    dist.init_process_group("gloo", rank=rank, world_size=world_size)


class ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.net1 = nn.Linear(10, 10)
        self.relu = nn.ReLU()
        self.net2 = nn.Linear(10, 5)

    def forward(self, x):
        return self.net2(self.relu(self.net1(x)))


def demo_checkpoint(rank, world_size, port, path):
    setup(rank, world_size, port)
    torch.manual_seed(rank)  # different draws per rank: DDP starts every rank from rank 0's weights
    ddp_model = DDP(ToyModel())
    if rank == 0:
        torch.save(ddp_model.state_dict(), path)
    dist.barrier()
    ddp_model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)
    inputs = torch.arange(200.0).reshape(20, 10) / 100 + rank
    optimizer.zero_grad()
    loss_fn(ddp_model(inputs), torch.ones(20, 5) * rank).backward()
    optimizer.step()
    checksum = sum(p.detach().sum() for p in ddp_model.parameters()).reshape(1)
    gathered = [torch.zeros(1) for _ in range(world_size)]
    dist.all_gather(gathered, checksum)
    if rank == 0:
        print("keys", list(ddp_model.state_dict()), flush=True)
        print("ranks agree", all(abs(g.item() - gathered[0].item()) < 1e-6 for g in gathered), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    mp.spawn(demo_checkpoint, args=(2, port, sys.argv[2]), nprocs=2, join=True)
