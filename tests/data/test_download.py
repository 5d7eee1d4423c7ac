"""The MNIST downloader against a local HTTP server on 127.0.0.1 (no internet needed)."""
import os
import shutil

import pytest

from tinynn.data import MNIST, DownloadError
from tinynn.data.mnist import FILES
from helpers import serving


def _mirrors(source):
    """What the test server gives for a path: the MNIST folder under /good/, corrupted bytes under /corrupt/,
    nothing (404) under /empty/."""
    def content_for(request_path):
        mirror, _, name = request_path.strip("/").partition("/")
        path = os.path.join(source, name)
        if mirror == "empty" or name not in FILES or not os.path.exists(path):
            return None
        with open(path, "rb") as file:
            content = file.read()
        if mirror == "corrupt":
            content = content[:1000] + bytes(b ^ 0xFF for b in content[1000:1100]) + content[1100:]
        return content
    return content_for


@pytest.fixture
def server(mnist_dir):
    with serving(_mirrors(str(mnist_dir))) as (httpd, base):
        yield httpd, base


def test_good_download_is_verified_and_lands(server, tmp_path):
    httpd, base = server
    dataset = MNIST(tmp_path, train=False, mirrors=[f"{base}/good/"])
    assert len(dataset) == 10_000
    assert sorted(os.listdir(tmp_path)) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert all(MNIST.verify(tmp_path)[name] for name in os.listdir(tmp_path))


def test_corrupt_download_is_rejected_and_retried_from_the_next_mirror(server, tmp_path):
    httpd, base = server
    dataset = MNIST(tmp_path, train=False, mirrors=[f"{base}/corrupt/", f"{base}/empty/", f"{base}/good/"])
    assert len(dataset) == 10_000
    assert [r.split("/")[1] for r in httpd.requests[:3]] == ["corrupt", "empty", "good"]
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".part")]


def test_all_mirrors_failing_leaves_no_partial_file_and_says_where_to_put_files(server, tmp_path):
    httpd, base = server
    with pytest.raises(DownloadError) as info:
        MNIST(tmp_path, train=False, mirrors=[f"{base}/corrupt/", f"{base}/empty/"])
    message = str(info.value)
    assert "MD5 mismatch" in message and "404" in message
    assert str(tmp_path) in message and "TINYNN_DATA" in message
    assert os.listdir(tmp_path) == []


def test_existing_files_are_used_without_network(tmp_path, mnist_dir):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(mnist_dir / name, tmp_path / name)
    assert len(MNIST(tmp_path, train=False, mirrors=["http://127.0.0.1:9/"])) == 10_000
