"""tinynn.summary reproduces the seed document's torchsummary table line for line."""
import re
from pathlib import Path

import pytest

import tinynn
from tinynn import nn
from tinynn.models import MnistTiny

SEED = Path(__file__).resolve().parents[2] / "shared" / "SEED.md"
SEED_TABLE = """\
----------------------------------------------------------------
        Layer (type)               Output Shape         Param #
================================================================
            Conv2d-1           [-1, 16, 26, 26]             160
              ReLU-2           [-1, 16, 26, 26]               0
       BatchNorm2d-3           [-1, 16, 26, 26]              32
           Dropout-4           [-1, 16, 26, 26]               0
            Conv2d-5           [-1, 20, 24, 24]           2,900
              ReLU-6           [-1, 20, 24, 24]               0
       BatchNorm2d-7           [-1, 20, 24, 24]              40
           Dropout-8           [-1, 20, 24, 24]               0
            Conv2d-9           [-1, 24, 22, 22]           4,344
             ReLU-10           [-1, 24, 22, 22]               0
      BatchNorm2d-11           [-1, 24, 22, 22]              48
        MaxPool2d-12           [-1, 24, 11, 11]               0
           Conv2d-13           [-1, 10, 11, 11]             250
             ReLU-14           [-1, 10, 11, 11]               0
      BatchNorm2d-15           [-1, 10, 11, 11]              20
           Conv2d-16             [-1, 16, 9, 9]           1,456
             ReLU-17             [-1, 16, 9, 9]               0
      BatchNorm2d-18             [-1, 16, 9, 9]              32
          Dropout-19             [-1, 16, 9, 9]               0
           Conv2d-20             [-1, 20, 7, 7]           2,900
             ReLU-21             [-1, 20, 7, 7]               0
      BatchNorm2d-22             [-1, 20, 7, 7]              40
          Dropout-23             [-1, 20, 7, 7]               0
           Conv2d-24             [-1, 24, 5, 5]           4,344
             ReLU-25             [-1, 24, 5, 5]               0
      BatchNorm2d-26             [-1, 24, 5, 5]              48
          Dropout-27             [-1, 24, 5, 5]               0
           Conv2d-28             [-1, 16, 5, 5]             400
             ReLU-29             [-1, 16, 5, 5]               0
      BatchNorm2d-30             [-1, 16, 5, 5]              32
           Linear-31                   [-1, 10]             170
================================================================
Total params: 17,216
Trainable params: 17,216
Non-trainable params: 0
----------------------------------------------------------------
Input size (MB): 0.00
Forward/backward pass size (MB): 1.09
Params size (MB): 0.07
Estimated Total Size (MB): 1.16
----------------------------------------------------------------"""


def _seed_table():
    """The table from ../shared/SEED.md when it is there (it is the reference), else the copy above."""
    if SEED.exists():
        return SEED.read_text().split("```")[1].strip("\n")
    return SEED_TABLE


def test_summary_matches_the_seed_table_line_by_line():
    expected = _seed_table().splitlines()
    lines = tinynn.summary(MnistTiny(), (1, 28, 28), print_fn=None).splitlines()
    assert len([line for line in lines if re.match(r"^\s+[A-Za-z0-9]+-\d+\s", line)]) == 31
    for number, (ours, theirs) in enumerate(zip(lines, expected), start=1):
        assert ours == theirs, f"line {number} differs:\n ours:   {ours!r}\n seed:   {theirs!r}"
    assert lines[len(expected)].startswith("Buffers") and "300 values in 24 tensors" in lines[len(expected)]


def test_summary_counts_shared_parameters_once_and_leaves_the_model_in_its_mode():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    model.train()
    text = tinynn.summary(model, (4,), print_fn=None)
    assert "Total params: 20" in text
    assert model.training
    rows = [line for line in text.splitlines() if "Linear" in line]
    assert rows[0].endswith(" 20") and rows[1].endswith(" 0")


def test_summary_prints_by_default(capsys):
    tinynn.summary(nn.Sequential(nn.Linear(2, 3)), (2,))
    assert "Linear-1" in capsys.readouterr().out


def test_summary_of_a_model_of_several_inputs_and_a_layer_of_several_outputs():
    """A list of input sizes (and of dtypes: token ids beside features), an LSTM's output and states
    as the list of their shapes, and the sizes from each tensor's own dtype."""
    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding, self.lstm, self.head = nn.Embedding(10, 4), nn.LSTM(4, 8, batch_first=True), nn.Linear(11, 2)

        def forward(self, tokens, features):
            outputs, _ = self.lstm(self.embedding(tokens))
            return self.head(tinynn.cat([outputs[:, -1], features], 1))

    lines = tinynn.summary(Tagger(), [(5,), (3,)], dtype=[tinynn.int64, tinynn.float32], print_fn=None).splitlines()
    assert lines[3].split() == ["Embedding-1", "[-1,", "5,", "4]", "40"]
    assert lines[4].split() == ["LSTM-2", "[[-1,", "5,", "8],", "[-1,", "2,", "8],", "[-1,", "2,", "8]]", "448"]
    assert lines[5].split() == ["Linear-3", "[-1,", "2]", "24"]
    assert "Total params: 512" in lines
    large = tinynn.summary(Tagger(), [(5,), (3,)], batch_size=100_000, dtype=[tinynn.int64, tinynn.float32],
                           print_fn=None).splitlines()
    # per sample 5 int64 and 3 float32 input values; 20 + 40 + 16 + 16 + 2 float32 output values, and their gradients
    assert f"Input size (MB): {100_000 * (5 * 8 + 3 * 4) / 1024 ** 2:0.2f}" in large
    assert f"Forward/backward pass size (MB): {2 * 100_000 * 94 * 4 / 1024 ** 2:0.2f}" in large
    assert f"Params size (MB): {512 * 4 / 1024 ** 2:0.2f}" in large
    with pytest.raises(ValueError, match="summary: 2 input sizes but 3 dtypes"):
        tinynn.summary(Tagger(), [(5,), (3,)], dtype=[tinynn.int64] * 3, print_fn=None)
