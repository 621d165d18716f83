"""Infrastructure behind `vae_teach.data`: MNIST bytes to disk and back.

Nothing here is taught. Downloading tries the mirrors in order with a timeout and a
deadline, checks the MD5 and writes atomically; decoding reads a gzipped IDX file, checks
its structure and keeps the result in memory (keyed on path, size and modification time).
`vae_teach.data` says which files, where they are looked for, and what is loaded.
"""

import errno
import functools
import hashlib
import http.client
import math
import os
import socket
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

TIMEOUT = 30.0  # seconds without data before a mirror counts as unreachable
# Seconds one file may take in all: a server that drips a byte now and then never trips
# TIMEOUT, but trips this.
DEADLINE = 600.0

IMAGES_MAGIC = 2051  # IDX: unsigned bytes, 3 dimensions
LABELS_MAGIC = 2049  # IDX: unsigned bytes, 1 dimension
_NETWORK_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    socket.timeout,
)


class MNISTNotFoundError(FileNotFoundError):
    """The MNIST files are in none of the places searched and could not be downloaded."""


# ---------------------------------------------------------------------------- downloading


def remove_stale_parts(folder: Path, name: str) -> None:
    """Delete temporary files left by a killed download of `name` (untouched for 2·TIMEOUT;
    a download still running writes to its file more often than that)."""
    for part in folder.glob(f".{name}.*.part"):
        try:
            if time.time() - part.stat().st_mtime > 2 * TIMEOUT:
                part.unlink()
        except OSError:  # gone already, or not ours to delete: leave it
            pass


def download_file(
    name: str, folder: Path, mirrors: list[str], md5: str, deadline=DEADLINE, advice=""
) -> Path:
    """Fetch one file from the first mirror that serves it with the right MD5, atomically.

    The bytes go to a hidden temporary file in `folder`, flushed to disk and renamed to
    `name` only once the MD5 matches: an interrupted download never leaves a file that looks
    complete. `advice` ends the PermissionError raised when `folder` is not writable.
    """
    fd, tmp = _temporary_file(folder, name, advice)
    try:
        with os.fdopen(fd, "wb") as f:
            _fetch_from_first_mirror(f, name, mirrors, md5, deadline)
        os.replace(tmp, folder / name)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return folder / name


def _temporary_file(folder: Path, name: str, advice: str) -> tuple[int, str]:
    """(fd, path) of a new hidden `.name.*.part` file in `folder`; PermissionError if read-only."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(folder, name)
        # The temporary file sits in the same folder so that the final rename is atomic.
        return tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    except OSError as err:
        if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        raise PermissionError(
            f"cannot write {name} into {folder}: the folder is not writable ({err.strerror}). "
            + advice
        ) from err


def _fetch_from_first_mirror(f, name: str, mirrors: list[str], md5: str, deadline) -> None:
    """Fill the open file f with `name` from the first mirror serving the right MD5, on disk."""
    failures = []
    for mirror in mirrors:
        url = mirror if mirror.endswith("/") else mirror + "/"
        url += name
        f.seek(0)
        f.truncate()
        try:
            digest = fetch(url, f, name, deadline)
        except urllib.error.HTTPError as err:
            failures.append(f"{url}: HTTP {err.code} {err.reason}")
            continue
        except _NETWORK_ERRORS as err:
            failures.append(f"{url}: {type(err).__name__}: {err}")
            continue
        if digest != md5:
            failures.append(f"{url}: wrong checksum, MD5 {digest} instead of {md5}")
            continue
        f.flush()
        os.fsync(f.fileno())
        return
    tried = "\n".join(f"  - {line}" for line in failures) or "  (no mirrors given)"
    raise MNISTNotFoundError(f"could not download {name}; mirrors tried:\n{tried}")


def fetch(url: str, f, name: str, deadline: float = DEADLINE) -> str:
    """Stream `url` into the open file `f` with a progress bar; return the MD5 of the bytes.

    Raises TimeoutError when no data comes for TIMEOUT seconds, or when the whole file
    takes longer than `deadline` seconds.
    """
    md5 = hashlib.md5()
    stop = time.monotonic() + deadline
    with urllib.request.urlopen(url, timeout=min(TIMEOUT, deadline)) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=name, leave=False) as bar:
            received = 0
            # read1: whatever has arrived (up to 64 KiB), so the deadline is checked often
            while chunk := response.read1(1 << 16):
                f.write(chunk)
                md5.update(chunk)
                bar.update(len(chunk))
                received += len(chunk)
                if time.monotonic() > stop:
                    raise TimeoutError(
                        f"the download took longer than the deadline of {deadline:g} s "
                        f"({received:,} bytes received)"
                    )
    # read(n) returns b"" when the server hangs up early: compare with what it announced.
    if total is not None and received != total:
        raise ConnectionError(f"connection closed after {received} of {total} bytes")
    return md5.hexdigest()


# ---------------------------------------------------------------------------- decoding


def stamp(path: Path) -> tuple[str, int, int]:
    """Cache key of a file: its path, size and modification time."""
    st = path.stat()
    return str(path), st.st_size, st.st_mtime_ns


@functools.lru_cache(maxsize=4)
def read_idx(path: str, size: int, mtime_ns: int) -> np.ndarray:
    """Decode one gzipped IDX file (uint8, read-only) and check its structure."""
    with open(path, "rb") as f:
        raw = f.read()
    # The gzip trailer stores the decompressed size: preallocating it makes gunzip faster.
    size_hint = int.from_bytes(raw[-4:], "little") if len(raw) >= 4 else 0
    if not 0 < size_hint <= 100 * len(raw):
        size_hint = zlib.DEF_BUF_SIZE
    try:
        # wbits=31: a gzip stream, CRC and length checked; truncation raises zlib.error.
        data = zlib.decompress(raw, wbits=31, bufsize=size_hint)
    except zlib.error as err:
        raise ValueError(
            f"{path} is not a complete gzip file ({err}); delete it and load again"
        ) from err
    if len(data) < 8:
        raise ValueError(f"{path}: IDX header too short ({len(data)} bytes)")
    magic = int.from_bytes(data[0:4], "big")
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise ValueError(
            f"{path}: IDX magic number is {magic}, expected {IMAGES_MAGIC} (images) "
            f"or {LABELS_MAGIC} (labels)"
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: IDX header too short for {ndim} dimensions")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + math.prod(dims):
        raise ValueError(
            f"{path}: IDX header says {dims} = {math.prod(dims)} bytes, "
            f"file holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_images(path) -> np.ndarray:
    """Images of one IDX file, uint8 `(N, 28, 28)`, checked for the MNIST structure."""
    path = Path(path)
    images = read_idx(*stamp(path))
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{path}: expected MNIST images (IDX magic {IMAGES_MAGIC}, shape (N, 28, 28)), "
            f"got shape {images.shape}"
        )
    return images


def read_labels(path) -> np.ndarray:
    """Labels of one IDX file, uint8 `(N,)`, checked to be digits 0..9."""
    path = Path(path)
    labels = read_idx(*stamp(path))
    if labels.ndim != 1:
        raise ValueError(
            f"{path}: expected MNIST labels (IDX magic {LABELS_MAGIC}, shape (N,)), "
            f"got shape {labels.shape}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{path}: labels must be digits 0..9, found {int(labels.max())}")
    return labels
