"""``tinynn.hub``: PyTorch's ``torch.hub``, pretrained weights and models fetched by URL or from a
repository, kept in a cache folder.

- ``load_state_dict_from_url(url, ...)``: the file downloaded once into ``<hub dir>/checkpoints``
  (with ``check_hash``, verified against the SHA-256 prefix its name carries, as in
  ``resnet18-f37072fd.pth``), then read by ``tinynn.load``: files ``torch.save`` wrote load as
  tinynn tensors (see tinynn/torch_format.py), so PyTorch's published weights load into tinynn
  models whose ``state_dict`` keys match.
- ``download_url_to_file(url, dst, hash_prefix=None, progress=True)``: written beside ``dst`` under
  a temporary name and moved into place only once complete and verified, so ``dst`` is never a
  partial file.
- ``load(repo_or_dir, model, *args, source="github", ...)``, ``list``, ``help``: the entrypoints of
  a repository's ``hubconf.py`` (the callables it defines; its ``dependencies`` list is checked
  first), from a local folder (``source="local"``) or from GitHub (``"owner/name[:ref]"``, the ref
  main, or master where there is no main; its archive downloaded and unpacked into the hub dir
  once, again with ``force_reload``). Running a repository's code asks for trust as PyTorch does
  (``trust_repo``: "check", the default, asks unless it is in ``<hub dir>/trusted_list`` or already
  downloaded; False always asks; True trusts it; a repository trusted is added to the list).
- ``get_dir()`` / ``set_dir(path)``: the cache folder: set_dir's, else ``$TINYNN_HOME/hub``, else
  ``$XDG_CACHE_HOME/tinynn/hub`` (``~/.cache/tinynn/hub``).
"""
import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile

from tqdm import tqdm

from .data.download import DownloadError
from .serialization import load as _load_file

# the SHA-256 prefix a checkpoint's file name carries, as PyTorch names them: name-<prefix>.ext
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
GITHUB = "https://github.com"
HUBCONF = "hubconf.py"
_hub_dir = None


def get_dir():
    """The folder downloads are kept in (see the module docstring)."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.environ.get("TINYNN_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "tinynn")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d):
    """Keep downloads in ``d`` from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download ``url`` to the path ``dst``; with ``hash_prefix``, the file's SHA-256 must start with it.
    A failed or refused download leaves ``dst`` as it was."""
    dst = os.path.expanduser(os.fspath(dst))
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    partial = f"{dst}.{uuid.uuid4().hex}.partial"
    digest = hashlib.sha256()
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "tinynn"})
        with urllib.request.urlopen(request) as response, open(partial, "wb") as file:
            size = response.headers.get("Content-Length")
            with tqdm(total=int(size) if size else None, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=os.path.basename(dst), disable=not progress) as bar:
                while chunk := response.read(1 << 17):
                    file.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            file.flush()
            os.fsync(file.fileno())
        if hash_prefix is not None and not digest.hexdigest().startswith(hash_prefix):
            raise DownloadError(f'{url}: invalid hash value (expected "{hash_prefix}", got "{digest.hexdigest()}"); '
                                f"{dst} was not written")
        os.replace(partial, dst)
    except urllib.error.URLError as error:
        raise DownloadError(f"could not download {url}: {error}") from error
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False, file_name=None,
                             weights_only=False):
    """The object saved at ``url`` (a state dict), downloaded into ``model_dir`` (default ``<hub
    dir>/checkpoints``) under ``file_name`` (default the URL's) unless already there, and read with
    ``tinynn.load(..., map_location, weights_only)``."""
    model_dir = os.path.join(get_dir(), "checkpoints") if model_dir is None else os.path.expanduser(model_dir)
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        match = HASH_REGEX.search(filename) if check_hash else None
        download_url_to_file(url, cached_file, match.group(1) if match else None, progress=progress)
    if _is_single_file_zip(cached_file):
        cached_file = _unzipped(cached_file, model_dir)
    return _load_file(cached_file, map_location=map_location, weights_only=weights_only)


def _is_single_file_zip(path):
    """PyTorch's legacy way of serving a checkpoint: a zip archive holding just that file (a file
    ``torch.save`` writes is a zip archive too, but of many entries)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    return len(members) == 1 and not members[0].is_dir()


def _unzipped(path, folder):
    with zipfile.ZipFile(path) as archive:
        member = archive.infolist()[0]
        archive.extract(member, folder)
    return os.path.join(folder, member.filename)


def _repo_parts(github):
    """(owner, name, ref) of "owner/name[:ref]"; the ref main, or master where the repository has no
    main (looked up; offline, the one cached)."""
    repo, _, ref = github.partition(":")
    owner, slash, name = repo.partition("/")
    if not (owner and slash and name) or "/" in name:
        raise ValueError(f'hub: expected a GitHub repository as "owner/name" or "owner/name:ref", got {github!r}')
    if ref:
        return owner, name, ref
    try:
        with urllib.request.urlopen(f"{GITHUB}/{owner}/{name}/tree/main/"):
            return owner, name, "main"
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return owner, name, "master"
        raise DownloadError(f"could not look up the default branch of {owner}/{name}: {error}") from error
    except urllib.error.URLError as error:
        for cached in ("main", "master"):
            if os.path.exists(os.path.join(get_dir(), f"{owner}_{name}_{cached}")):
                return owner, name, cached
        raise DownloadError(f"could not reach {GITHUB} for {owner}/{name} ({error}), and it is not in the cache "
                            f"({get_dir()})") from error


def _check_trusted(owner, name, branch_folder, trust_repo):
    """Go on only with a trusted repository: one in ``<hub dir>/trusted_list``, or already downloaded;
    ``trust_repo`` False, or "check" for one not trusted, asks first (as PyTorch's); True and None trust
    it. A repository trusted here is added to the list."""
    hub_dir = get_dir()
    trusted_list = os.path.join(hub_dir, "trusted_list")
    repo = f"{owner}_{name}"
    trusted = []
    if os.path.exists(trusted_list):
        with open(trusted_list) as file:
            trusted = [line.strip() for line in file]
    is_trusted = repo in trusted or os.path.isdir(os.path.join(hub_dir, branch_folder))
    if trust_repo is False or (trust_repo == "check" and not is_trusted):
        answer = input(f"The repository {repo} does not belong to the list of trusted repositories and as such cannot "
                       "be downloaded. Do you trust this repository and wish to add it to the trusted list of "
                       "repositories (y/N)?").strip().lower()
        if answer in ("n", "no", ""):
            raise PermissionError(f"hub: the repository {owner}/{name} is not trusted, so its code was not run")
        if answer not in ("y", "yes"):
            raise ValueError(f"hub: unrecognized answer {answer!r} (y or n)")
    if not is_trusted:
        with open(trusted_list, "a") as file:
            file.write(repo + "\n")


def _cached_repo(github, force_reload, trust_repo, verbose=True):
    """The folder of the GitHub repository ``github`` in the hub dir, downloaded and unpacked if not there
    (or with ``force_reload``); an unpacking never leaves a half-written folder in place."""
    hub_dir = get_dir()
    os.makedirs(hub_dir, exist_ok=True)
    owner, name, ref = _repo_parts(github)
    branch_folder = f"{owner}_{name}_{ref.replace('/', '_')}"
    _check_trusted(owner, name, branch_folder, trust_repo)
    repo_dir = os.path.join(hub_dir, branch_folder)
    if os.path.exists(repo_dir) and not force_reload:
        if verbose:
            sys.stderr.write(f"Using cache found in {repo_dir}\n")
        return repo_dir
    url = f"{GITHUB}/{owner}/{name}/zipball/{ref}"
    with tempfile.TemporaryDirectory(dir=hub_dir) as unpacking:
        archive_path = os.path.join(unpacking, "archive.zip")
        sys.stderr.write(f'Downloading: "{url}" to {archive_path}\n')
        download_url_to_file(url, archive_path, progress=False)
        with zipfile.ZipFile(archive_path) as archive:
            top = archive.infolist()[0].filename.split("/")[0]  # GitHub's "<owner>-<name>-<commit>/"
            archive.extractall(unpacking)
        if os.path.exists(repo_dir):
            shutil.rmtree(repo_dir)
        os.replace(os.path.join(unpacking, top), repo_dir)
    return repo_dir


@contextlib.contextmanager
def _importable_from(folder):
    """``folder`` first on sys.path, so a hubconf imports the modules beside it."""
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        sys.path.remove(folder)


def _hubconf(repo_dir):
    path = os.path.join(repo_dir, HUBCONF)
    if not os.path.exists(path):
        raise FileNotFoundError(f"hub: {repo_dir} has no {HUBCONF}, which lists a repository's entrypoints")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [package for package in getattr(module, "dependencies", [])
               if importlib.util.find_spec(package) is None]
    if missing:
        raise RuntimeError(f"hub: {path} needs packages that are not installed: {', '.join(missing)}")
    return module


def _entrypoint(module, model):
    if not isinstance(model, str):
        raise ValueError(f"hub: the entrypoint name must be a string, got {type(model).__name__}")
    entry = getattr(module, model, None)
    if entry is None or not callable(entry):
        raise RuntimeError(f"hub: no callable {model!r} in {module.__file__}; its entrypoints are "
                           f"{_entrypoints(module)}")
    return entry


def _entrypoints(module):
    return [name for name in dir(module) if callable(getattr(module, name)) and not name.startswith("_")]


def _repo_dir(repo_or_dir, source, force_reload, trust_repo, verbose):
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'hub: unknown source {source!r}; expected "github" or "local"')
    if source == "github":
        return _cached_repo(repo_or_dir, force_reload, trust_repo, verbose)
    if not os.path.isdir(repo_or_dir):
        raise FileNotFoundError(f"hub: {repo_or_dir} is not a folder (source='local' loads a repository on disk)")
    return repo_or_dir


def list(github, force_reload=False, skip_validation=False, trust_repo="check", verbose=True):
    """The names of the entrypoints of the GitHub repository's hubconf.py (``skip_validation``: PyTorch's,
    about checking a ref with GitHub's API; tinynn checks it by downloading)."""
    repo_dir = _repo_dir(github, "github", force_reload, trust_repo, verbose)
    with _importable_from(repo_dir):
        return _entrypoints(_hubconf(repo_dir))


def help(github, model, force_reload=False, skip_validation=False, trust_repo="check"):
    """The docstring of the entrypoint ``model`` of the GitHub repository's hubconf.py."""
    repo_dir = _repo_dir(github, "github", force_reload, trust_repo, True)
    with _importable_from(repo_dir):
        return _entrypoint(_hubconf(repo_dir), model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False, verbose=True,
         skip_validation=False, **kwargs):
    """What the entrypoint ``model`` of the repository's hubconf.py returns for ``*args, **kwargs`` (a model)."""
    repo_dir = _repo_dir(repo_or_dir, source, force_reload, trust_repo, verbose)
    with _importable_from(repo_dir):
        return _entrypoint(_hubconf(repo_dir), model)(*args, **kwargs)


__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]
