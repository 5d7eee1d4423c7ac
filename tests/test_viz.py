"""Graph visualisation: the DOT text has the right nodes and edges for the seed model's loss."""
import re
import shutil

import numpy as np
import pytest

import tinynn
from tinynn.models import MnistTiny
from tinynn.nn import functional as F


def _parse(dot):
    boxes = re.findall(r'(f\d+) \[shape=box.*label="(\w+)"\]', dot)
    ovals = dict(re.findall(r'(t\d+) \[shape=ellipse, label="([^"]*)"', dot))
    edges = re.findall(r"(\w\d+) -> (\w\d+);", dot)
    return boxes, ovals, edges


def test_seed_model_loss_graph_lists_every_layer_op_once_per_use():
    model = MnistTiny(dropout=0.1)
    loss = F.cross_entropy(model(tinynn.randn(2, 1, 28, 28)), tinynn.tensor([3, 7]))
    boxes, ovals, edges = _parse(tinynn.viz.to_dot(loss, params=model))
    ops = [name for _, name in boxes]
    assert ops.count("Conv2d") == 8 and ops.count("BatchNorm") == 8 and ops.count("ReLU") == 8
    assert ops.count("Dropout") == 5 and ops.count("MaxPool2d") == 1 and ops.count("Linear") == 1
    assert ops.count("CrossEntropy") == 1 and ops.count("GlobalAvgPool2d") == 1
    # every parameter appears, labelled with its module path, feeding exactly one op
    labels = list(ovals.values())
    for name, _ in model.named_parameters():
        matching = [node for node, label in ovals.items() if label.startswith(name + "\\n")]
        assert len(matching) == 1, name
        assert sum(1 for a, _ in edges if a == matching[0]) == 1
    assert any("(2, 1, 28, 28)\\nfloat32" in label for label in labels)
    # the graph is connected towards the loss: each op has one outgoing edge, to a tensor
    for node, _ in boxes:
        outgoing = [b for a, b in edges if a == node]
        assert len(outgoing) == 1 and outgoing[0].startswith("t")


def test_a_layer_used_twice_appears_twice():
    layer = tinynn.nn.Linear(3, 3)
    out = layer(layer(tinynn.randn(1, 3)))
    boxes, _, _ = _parse(tinynn.viz.to_dot(out, params=layer))
    assert [name for _, name in boxes].count("Linear") == 2


def test_drawing_after_backward_is_a_clear_error():
    x = tinynn.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="draw it before calling backward"):
        tinynn.viz.to_dot(y)


def test_render_writes_a_png_or_says_how_to_install_graphviz(tmp_path):
    x = tinynn.tensor(np.ones(3), requires_grad=True)
    y = (x.exp() * 2).sum()
    if shutil.which("dot") is None:
        with pytest.raises(RuntimeError, match="apt install graphviz"):
            tinynn.viz.render(y, tmp_path / "graph.png")
    else:
        path = tinynn.viz.render(y, tmp_path / "graph.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
