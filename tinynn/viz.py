"""Drawing the computation graph behind a tensor as Graphviz DOT text (no Python dependency).

    loss = F.cross_entropy(model(x), y)
    print(tinynn.viz.to_dot(loss, params=model))      # paste into any Graphviz viewer
    tinynn.viz.render(loss, "graph.png", params=model)  # needs the `dot` program

Ops are boxes named after their Function class (one box per use: a layer called twice appears
twice); tensors are ovals with shape and dtype; parameters are highlighted and carry their
module path (``features.0.weight``); arrows follow the forward pass. Draw the graph before
calling ``backward()``, which frees it.
"""
import shutil
import subprocess
from pathlib import Path

from .tensor import Tensor


def _parameter_names(params):
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    elif isinstance(params, dict):
        params = params.items()
    return {id(tensor): name for name, tensor in params}


def _escape(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def to_dot(tensor, params=None, title=None):
    """DOT text of the graph that produced ``tensor``; ``params`` (a Module or name->Tensor pairs)
    labels parameters with their names."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dot: expected a tinynn.Tensor, got {type(tensor).__name__}")
    names = _parameter_names(params)
    lines = ["digraph tinynn {", '  rankdir=TB; node [fontname="Helvetica", fontsize=10];']
    if title:
        lines.append(f'  labelloc="t"; label="{_escape(title)}";')
    seen_tensors, seen_functions = set(), set()

    def tensor_node(t):
        node = f"t{id(t)}"
        if id(t) in seen_tensors:
            return node
        seen_tensors.add(id(t))
        label = f"{tuple(t.shape)}\\n{t.dtype}"
        name = names.get(id(t)) or t.name
        style = ""
        if id(t) in names:
            style = ', style=filled, fillcolor="#cde6c7"'
        elif t is tensor:
            style = ', style=filled, fillcolor="#f6d8ae"'
        if name:
            label = f"{_escape(name)}\\n{label}"
        lines.append(f'  {node} [shape=ellipse, label="{label}"{style}];')
        return node

    stack = [tensor]
    while stack:
        current = stack.pop()
        out_node = tensor_node(current)
        function = current.grad_fn
        if function is None or id(function) in seen_functions:
            continue
        if getattr(function, "released", False):
            raise RuntimeError("to_dot: the graph was freed by backward(); draw it before calling backward() "
                               "(or pass retain_graph=True)")
        seen_functions.add(id(function))
        fn_node = f"f{id(function)}"
        lines.append(f'  {fn_node} [shape=box, style="rounded,filled", fillcolor="#dbe4f0", label="{function.name}"];')
        lines.append(f"  {fn_node} -> {out_node};")
        for parent in function.inputs:
            if parent is None:
                continue
            lines.append(f"  {tensor_node(parent)} -> {fn_node};")
            stack.append(parent)
    lines.append("}")
    return "\n".join(lines)


def render(tensor, path, params=None, title=None):
    """Write the graph to ``path`` (format from its extension: .png, .svg, .pdf) with Graphviz's ``dot``."""
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("render: the Graphviz 'dot' program is not installed; install it with "
                           "'apt install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or "
                           "'conda install graphviz', or paste tinynn.viz.to_dot(...) into an online viewer")
    path = Path(path)
    file_format = path.suffix.lstrip(".") or "png"
    subprocess.run([dot, f"-T{file_format}", "-o", str(path)], input=to_dot(tensor, params, title).encode(),
                   check=True, capture_output=True)
    return path
