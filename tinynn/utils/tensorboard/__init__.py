"""TensorBoard logging with PyTorch's ``torch.utils.tensorboard`` names, written by tinynn itself
(no TensorBoard or protobuf needed to write; ``tensorboard --logdir runs`` to look):

    from tinynn.utils.tensorboard import SummaryWriter
    with SummaryWriter("runs/mnist") as writer:
        writer.add_scalar("loss/train", loss.item(), step)

``read_events(path)`` reads an event file back."""
from .events import read_events
from .writer import FileWriter, SummaryWriter

__all__ = ["SummaryWriter", "FileWriter", "read_events"]
