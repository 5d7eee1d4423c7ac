"""Every code block of docs/backprop-tour.md and docs/porting-from-pytorch.md runs, in order, in one namespace per
page; so does the README's usage snippet."""
import re
from pathlib import Path

TOUR = Path(__file__).resolve().parents[1] / "docs" / "backprop-tour.md"
PORTING = TOUR.parent / "porting-from-pytorch.md"


def _run_blocks(page, at_least):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert len(blocks) >= at_least
    namespace = {}
    for number, block in enumerate(blocks, start=1):
        try:
            exec(compile(block, f"{page.name} block {number}", "exec"), namespace)
        except Exception as error:  # pragma: no cover - the message is the point
            raise AssertionError(f"block {number} of {page.name} failed: {error!r}\n{block}") from error


def test_every_snippet_of_the_tour_runs(capsys):
    _run_blocks(TOUR, 8)
    printed = capsys.readouterr().out
    assert "gradcheck failed for input 0" in printed
    assert "backward through Sigmoid: a value it kept for its gradient was overwritten" in printed


def test_every_snippet_of_the_porting_guide_runs(capsys):
    _run_blocks(PORTING, 4)
    printed = capsys.readouterr().out
    assert "kernel (3, 3)" in printed and "isinstance(loss_fn, _Loss): True" in printed
    assert "resumed at epoch 3 step 9" in printed


def test_the_readme_usage_snippet_runs(tmp_path, monkeypatch):
    readme = TOUR.parents[1] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)
    assert blocks, "the README shows how to use tinynn in Python"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "checkpoint.npz").exists()
