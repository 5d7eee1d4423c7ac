"""Downloading files safely: mirror after mirror, verified by MD5, never leaving a partial file."""
import hashlib
import os
import urllib.error
import urllib.request

from tqdm import tqdm


class DownloadError(RuntimeError):
    pass


def md5sum(path, chunk_size=1 << 20):
    digest = hashlib.md5()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(filename, folder, mirrors, md5, timeout=30, progress=True):
    """Fetch ``filename`` from the first mirror that serves it with the right MD5.

    Each attempt writes ``<filename>.part`` and renames it to ``filename`` only once complete and
    verified; a failed or corrupt attempt deletes its .part file and moves on to the next mirror.
    Returns the final path; raises DownloadError listing what each mirror did.
    """
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, filename)
    partial = target + ".part"
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            _fetch(url, partial, timeout, progress)
            actual = md5sum(partial)
            if actual != md5:
                raise DownloadError(f"MD5 mismatch (got {actual}, expected {md5})")
            os.replace(partial, target)
            return target
        except (urllib.error.URLError, OSError, DownloadError, ValueError) as error:
            failures.append(f"{url}: {error}")
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    raise DownloadError(f"could not download {filename}:\n  " + "\n  ".join(failures))


def _fetch(url, destination, timeout, progress):
    request = urllib.request.Request(url, headers={"User-Agent": "tinynn"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(destination, "wb") as file:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=os.path.basename(url), disable=not progress,
                  leave=False) as bar:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                file.write(chunk)
                bar.update(len(chunk))
        file.flush()
        os.fsync(file.fileno())
