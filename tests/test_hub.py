"""tinynn.hub against a local HTTP server on 127.0.0.1 standing in for the web and for GitHub: weights by
URL (verified, cached, never half-written; PyTorch's files too), and a repository's hubconf.py entrypoints
from GitHub's archive or a local folder, with PyTorch's trust check."""
import hashlib
import io
import os
import zipfile

import numpy as np
import pytest

import tinynn
from tinynn import hub
from tinynn.data import DownloadError
from helpers import serving

HUBCONF = '''"""A repository's entrypoints."""
dependencies = ["numpy"]
from tiny_repo_helpers import make_model


def tiny(hidden=4):
    """A two-layer network with ``hidden`` units."""
    return make_model(hidden)


def _private():
    pass
'''
HELPERS = '''import tinynn


def make_model(hidden):
    tinynn.manual_seed(0)
    return tinynn.nn.Sequential(tinynn.nn.Linear(3, hidden), tinynn.nn.ReLU(), tinynn.nn.Linear(hidden, 1))
'''


def _archive(top, files):
    """A zip archive as GitHub serves a repository's: every file under one folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{top}/", "")
        for name, text in files.items():
            archive.writestr(f"{top}/{name}", text)
    return buffer.getvalue()


@pytest.fixture
def weights():
    tinynn.manual_seed(1)
    model = tinynn.nn.Linear(3, 2)
    buffer = io.BytesIO()
    tinynn.save(model.state_dict(), buffer, format="torch")
    return model, buffer.getvalue()


@pytest.fixture
def server(weights, tmp_path, monkeypatch):
    content = weights[1]
    prefix = hashlib.sha256(content).hexdigest()[:8]
    routes = {
        f"/models/linear-{prefix}.pth": content,
        "/models/linear-0badbeef.pth": content,
        "/models/zipped.zip": _archive_single("linear.pth", content),
        "/owner/repo/tree/main/": b"",
        "/owner/repo/zipball/main": _archive("owner-repo-1a2b3c", {"hubconf.py": HUBCONF, "tiny_repo_helpers.py": HELPERS}),
        "/owner/repo/zipball/v2": _archive("owner-repo-4d5e6f", {"hubconf.py": HUBCONF.replace("hidden=4", "hidden=6"),
                                                                 "tiny_repo_helpers.py": HELPERS}),
        "/old/repo/zipball/master": _archive("old-repo-777", {"hubconf.py": HUBCONF, "tiny_repo_helpers.py": HELPERS}),
        "/needs/more/zipball/main": _archive("needs-more-1", {"hubconf.py": 'dependencies = ["no_such_package"]\n'}),
        "/needs/more/tree/main/": b"",
    }
    with serving(routes.get) as (httpd, base):
        httpd.routes = routes  # (a test adds one)
        monkeypatch.setattr(hub, "GITHUB", base)
        monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
        yield httpd, base, prefix


def _archive_single(name, content):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def test_hub_dir_follows_set_dir_then_tinynn_home_then_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TINYNN_HOME", raising=False)
    assert hub.get_dir() == str(tmp_path / "cache" / "tinynn" / "hub")
    monkeypatch.setenv("TINYNN_HOME", str(tmp_path / "home"))
    assert hub.get_dir() == str(tmp_path / "home" / "hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


def test_weights_by_url_are_verified_cached_and_loaded(server, weights):
    httpd, base, prefix = server
    model, _ = weights
    url = f"{base}/models/linear-{prefix}.pth"
    state = hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    fresh = tinynn.nn.Linear(3, 2)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.weight.numpy(), model.weight.numpy())
    cached = os.path.join(hub.get_dir(), "checkpoints", f"linear-{prefix}.pth")
    assert os.path.exists(cached)
    hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    assert httpd.requests.count(f"/models/linear-{prefix}.pth") == 1  # the second came from the cache
    state = hub.load_state_dict_from_url(url, progress=False, file_name="renamed.pth", map_location="cpu")
    assert os.path.exists(os.path.join(hub.get_dir(), "checkpoints", "renamed.pth"))
    assert sorted(state) == ["bias", "weight"]


def test_a_file_whose_hash_does_not_match_its_name_is_refused_and_leaves_nothing(server, tmp_path):
    httpd, base, _ = server
    with pytest.raises(DownloadError, match='invalid hash value .expected "0badbeef"'):
        hub.load_state_dict_from_url(f"{base}/models/linear-0badbeef.pth", check_hash=True, progress=False)
    assert os.listdir(os.path.join(hub.get_dir(), "checkpoints")) == []
    state = hub.load_state_dict_from_url(f"{base}/models/linear-0badbeef.pth", progress=False)  # (no check asked)
    assert sorted(state) == ["bias", "weight"]


def test_download_url_to_file_leaves_an_existing_file_whole_when_it_fails(server, tmp_path):
    httpd, base, prefix = server
    target = tmp_path / "kept.pth"
    target.write_bytes(b"what the user had")
    with pytest.raises(DownloadError, match="could not download .*/models/missing.pth.*404"):
        hub.download_url_to_file(f"{base}/models/missing.pth", target, progress=False)
    with pytest.raises(DownloadError, match="invalid hash value"):
        hub.download_url_to_file(f"{base}/models/linear-{prefix}.pth", target, hash_prefix="ffff", progress=False)
    assert target.read_bytes() == b"what the user had" and os.listdir(tmp_path) == ["kept.pth"]
    hub.download_url_to_file(f"{base}/models/linear-{prefix}.pth", target, hash_prefix=prefix, progress=False)
    assert hashlib.sha256(target.read_bytes()).hexdigest().startswith(prefix)


def test_a_checkpoint_served_zipped_is_unpacked_and_loaded(server):
    httpd, base, _ = server
    state = hub.load_state_dict_from_url(f"{base}/models/zipped.zip", progress=False)
    assert sorted(state) == ["bias", "weight"]


def test_a_pytorch_checkpoint_by_url_loads_into_the_same_tinynn_model(server, torch, tmp_path):
    httpd, base, _ = server
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    buffer = io.BytesIO()
    torch.save(theirs.state_dict(), buffer)
    httpd.routes["/models/torch-net.pth"] = buffer.getvalue()
    ours = tinynn.nn.Sequential(tinynn.nn.Linear(3, 4), tinynn.nn.ReLU(), tinynn.nn.Linear(4, 1))
    ours.load_state_dict(hub.load_state_dict_from_url(f"{base}/models/torch-net.pth", progress=False))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(tinynn.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)


def test_a_github_repository_is_downloaded_once_and_its_entrypoints_listed_documented_and_loaded(server, monkeypatch):
    httpd, base, _ = server
    model = hub.load("owner/repo", "tiny", hidden=5, trust_repo=True, verbose=False)
    assert isinstance(model, tinynn.nn.Sequential) and model[0].out_features == 5
    assert os.path.isfile(os.path.join(hub.get_dir(), "owner_repo_main", "hubconf.py"))
    # every public callable of hubconf.py, imported ones too, as PyTorch's (the trusted list, the cache: no
    # question, no download)
    assert hub.list("owner/repo") == ["make_model", "tiny"]
    assert hub.help("owner/repo", "tiny") == "A two-layer network with ``hidden`` units."
    assert httpd.requests.count("/owner/repo/zipball/main") == 1
    hub.load("owner/repo", "tiny", force_reload=True, verbose=False)
    assert httpd.requests.count("/owner/repo/zipball/main") == 2
    assert hub.load("owner/repo:v2", "tiny", trust_repo=True)[0].out_features == 6  # a ref of its own folder
    assert [line.strip() for line in open(os.path.join(hub.get_dir(), "trusted_list"))] == ["owner_repo"]


def test_without_a_main_branch_the_ref_is_master(server):
    httpd, base, _ = server
    assert hub.load("old/repo", "tiny", trust_repo=True)[0].out_features == 4
    assert "/old/repo/zipball/master" in httpd.requests


def test_an_untrusted_repository_runs_only_once_the_user_says_so(server, monkeypatch):
    httpd, base, _ = server
    answers = iter(["n", "maybe", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with pytest.raises(PermissionError, match="owner/repo is not trusted"):
        hub.load("owner/repo", "tiny")
    with pytest.raises(ValueError, match="unrecognized answer 'maybe'"):
        hub.load("owner/repo", "tiny")
    assert not any(request.endswith("zipball/main") for request in httpd.requests)  # nothing fetched unasked
    assert hub.load("owner/repo", "tiny")[0].out_features == 4
    with pytest.raises(StopIteration):  # trust_repo=False asks even for a trusted repository
        hub.load("owner/repo", "tiny", trust_repo=False)


def test_a_local_repository_loads_without_downloading_and_bad_requests_say_what_was_wrong(server, tmp_path):
    httpd, base, _ = server
    folder = tmp_path / "local_repo"
    folder.mkdir()
    (folder / "hubconf.py").write_text(HUBCONF)
    (folder / "tiny_repo_helpers.py").write_text(HELPERS)
    assert hub.load(str(folder), "tiny", 3, source="local")[0].out_features == 3
    assert not httpd.requests
    with pytest.raises(RuntimeError, match=r"no callable 'large' in .*hubconf.py; its entrypoints are \['make_model', 'tiny'\]"):
        hub.load(str(folder), "large", source="local")
    with pytest.raises(ValueError, match="unknown source 'web'"):
        hub.load(str(folder), "tiny", source="web")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        hub.load(str(tmp_path / "absent"), "tiny", source="local")
    with pytest.raises(FileNotFoundError, match="has no hubconf.py"):
        hub.load(str(tmp_path), "tiny", source="local")
    with pytest.raises(ValueError, match='expected a GitHub repository as "owner/name"'):
        hub.load("just-a-name", "tiny", trust_repo=True)
    with pytest.raises(RuntimeError, match="needs packages that are not installed: no_such_package"):
        hub.load("needs/more", "anything", trust_repo=True)


def test_hub_matches_pytorchs_names_and_signatures(torch):
    import inspect

    for name in torch.hub.__all__:  # (PyTorch's of this version: older ones take fewer arguments)
        theirs, ours = inspect.signature(getattr(torch.hub, name)), inspect.signature(getattr(hub, name))
        assert [p for p in ours.parameters if p in theirs.parameters] == list(theirs.parameters), name
    if inspect.signature(torch.hub.load).parameters["trust_repo"].default == "check":  # (PyTorch 2.13's default)
        assert inspect.signature(hub.load).parameters["trust_repo"].default == "check"
