"""Every code block of docs/backprop-tour.md runs, in order, in one namespace."""
import re
from pathlib import Path

TOUR = Path(__file__).resolve().parents[1] / "docs" / "backprop-tour.md"


def test_every_snippet_of_the_tour_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", TOUR.read_text(), flags=re.S)
    assert len(blocks) >= 8
    namespace = {}
    for number, block in enumerate(blocks, start=1):
        try:
            exec(compile(block, f"{TOUR.name} block {number}", "exec"), namespace)
        except Exception as error:  # pragma: no cover - the message is the point
            raise AssertionError(f"block {number} of the tour failed: {error!r}\n{block}") from error
    printed = capsys.readouterr().out
    assert "gradcheck failed for input 0" in printed
    assert "backward through Sigmoid: a value it kept for its gradient was overwritten" in printed


def test_the_readme_usage_snippet_runs(tmp_path, monkeypatch):
    readme = TOUR.parents[1] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)
    assert blocks, "the README shows how to use tinynn in Python"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "checkpoint.npz").exists()
