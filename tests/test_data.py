"""Tests of vae_teach.data: finding, downloading, validating and decoding MNIST, profiles.

Download tests run against an HTTP server on 127.0.0.1 started here, serving small IDX files
made here; no test touches the real network. Tests on the real MNIST files run when they can
be found without downloading (e.g. `VAE_TEACH_DATA` set), and are skipped otherwise.
"""

import contextlib
import errno
import gzip
import hashlib
import http.server
import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_teach import _mnist_files, data

TRAIN_IMAGES, TRAIN_LABELS = data.FILES["train"]
TEST_IMAGES, TEST_LABELS = data.FILES["test"]


# ---------------------------------------------------------------------------- small IDX files


def idx_bytes(magic: int, dims: tuple, payload: bytes) -> bytes:
    """An uncompressed IDX file: big-endian magic, then each dimension, then the bytes."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    return header + payload


def images_gz(pixels: np.ndarray) -> bytes:
    return gzip.compress(idx_bytes(2051, pixels.shape, pixels.astype(np.uint8).tobytes()))


def labels_gz(labels: np.ndarray) -> bytes:
    return gzip.compress(idx_bytes(2049, labels.shape, labels.astype(np.uint8).tobytes()))


def make_split(n: int, seed: int):
    """n random 28x28 uint8 images and labels 0..9 (every digit present when n >= 10)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) + seed) % 10
    rng.shuffle(labels)
    return pixels, labels.astype(np.uint8)


@pytest.fixture
def small_mnist():
    """The four files as gzipped bytes (12 train, 7 test images) plus the raw arrays."""
    train, test = make_split(12, seed=1), make_split(7, seed=2)
    files = {
        TRAIN_IMAGES: images_gz(train[0]),
        TRAIN_LABELS: labels_gz(train[1]),
        TEST_IMAGES: images_gz(test[0]),
        TEST_LABELS: labels_gz(test[1]),
    }
    return {"files": files, "train": train, "test": test}


def md5s(files: dict) -> dict:
    return {name: hashlib.md5(body).hexdigest() for name, body in files.items()}


def place(data_root: Path, files: dict) -> Path:
    """Write files into data_root/mnist/ by hand; return that folder."""
    folder = data_root / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    return folder


def listing(folder: Path) -> dict:
    """Every file under folder (hidden ones too) -> its bytes; {} if the folder is absent."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Every test starts with a mirror list where nothing answers: no test can reach the web."""
    monkeypatch.setattr(data, "MIRRORS", [closed_port_url()])


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No VAE_TEACH_DATA, a fresh empty user cache, no proxies, no decoded files in memory."""
    monkeypatch.delenv(data.ENV_DATA, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    data.clear_cache()
    yield tmp_path
    data.clear_cache()


# ---------------------------------------------------------------------------- a local HTTP server


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET /<mode>/<name>: good, 404, 403, wrong (another file), short (a truncated body with a
    matching length), lie (a truncated body while Content-Length promises the whole file),
    drip (the right file, one byte every 0.1 s)."""

    def do_GET(self):  # noqa: N802 (the name http.server expects)
        self.server.requests.append(self.path)
        _, mode, name = self.path.split("/", 2)
        body = self.server.files.get(name)
        if mode in ("404", "403") or body is None:
            self.send_error(int(mode) if mode in ("404", "403") else 404)
            return
        length = len(body)
        if mode == "wrong":
            body = gzip.compress(b"not the file you asked for")
            length = len(body)
        elif mode == "short":
            body = body[: len(body) // 2]
            length = len(body)
        elif mode == "lie":
            body = body[: len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if mode == "drip":  # one byte every 0.1 s: never idle long enough for a read timeout
            for i in range(len(body)):
                try:
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return
                time.sleep(0.1)
            return
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@contextlib.contextmanager
def serve(files: dict):
    """A threaded HTTP server on 127.0.0.1 (a free port) serving `files` (name -> bytes)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files = files
    httpd.requests = []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def server(small_mnist):
    with serve(small_mnist["files"]) as httpd:
        yield httpd


@pytest.fixture
def mirrors(monkeypatch, server, small_mnist):
    """Point the loader at the local server: set(modes) -> the mirror list, checksums patched."""
    monkeypatch.setattr(data, "MD5", md5s(small_mnist["files"]))

    def use(*modes):
        urls = [f"{server.url}/{mode}/" for mode in modes]
        monkeypatch.setattr(data, "MIRRORS", urls)
        return urls

    return use


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting fails as with no network."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


# ---------------------------------------------------------------------------- loading local files


def test_load_from_root_gives_documented_shapes_and_values(isolated, small_mnist):
    place(isolated / "root", small_mnist["files"])
    for split in ("train", "test"):
        pixels, labels = small_mnist[split]
        x, y = data.load_mnist(split, root=isolated / "root", download=False, profile="full")
        assert x.shape == (len(pixels), 1, 28, 28) and x.dtype == torch.float32
        assert y.shape == (len(pixels),) and y.dtype == torch.int64
        # x = pixel / 255 exactly as float32, so 0 -> 0.0 and 255 -> 1.0
        expected = torch.from_numpy(pixels.astype(np.float32) / np.float32(255))
        torch.testing.assert_close(x[:, 0], expected, rtol=0, atol=0)
        assert torch.equal(y, torch.from_numpy(labels.astype(np.int64)))


def test_search_order_root_then_env_then_cache(isolated, monkeypatch, small_mnist):
    # Three data roots with different numbers of images tell apart which one was read.
    roots = {13: isolated / "root", 14: isolated / "env", 15: data.cache_dir()}
    for n, data_root in roots.items():
        pixels, labels = make_split(n, seed=n)
        place(data_root, {TRAIN_IMAGES: images_gz(pixels), TRAIN_LABELS: labels_gz(labels)})
    monkeypatch.setenv(data.ENV_DATA, str(isolated / "env"))

    def n_loaded(**kwargs):
        return len(data.load_mnist("train", download=False, profile="full", **kwargs)[0])

    assert n_loaded(root=isolated / "root") == 13
    assert n_loaded() == 14
    monkeypatch.delenv(data.ENV_DATA)
    assert n_loaded() == 15
    # A root without the files falls through to the next place in the order.
    assert n_loaded(root=isolated / "empty") == 15
    assert data.find_mnist("train") == data.cache_dir() / "mnist"


def test_cache_dir_respects_xdg_and_defaults_to_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "vae_teach"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.cache_dir() == tmp_path / "home" / ".cache" / "vae_teach"


def test_returned_tensors_are_fresh_and_file_changes_are_seen(isolated, small_mnist):
    folder = place(isolated / "root", small_mnist["files"])
    x1, y1 = data.load_mnist("train", root=isolated / "root", download=False, profile="full")
    x1.zero_()
    y1.zero_()
    x2, y2 = data.load_mnist("train", root=isolated / "root", download=False, profile="full")
    assert x2.max() > 0 and y2.max() > 0  # the in-memory cache was not changed through x1
    # Replacing the file (new size and mtime) is noticed despite the in-memory cache.
    pixels, labels = make_split(20, seed=5)
    (folder / TRAIN_IMAGES).write_bytes(images_gz(pixels))
    (folder / TRAIN_LABELS).write_bytes(labels_gz(labels))
    x3, _ = data.load_mnist("train", root=isolated / "root", download=False, profile="full")
    assert len(x3) == 20


# ---------------------------------------------------------------------------- downloading


def test_download_fills_the_user_cache_verified_and_only_once(isolated, server, mirrors):
    mirrors("good")
    x, y = data.load_mnist("test", profile="full")
    assert x.shape == (7, 1, 28, 28)
    cache = data.cache_dir() / "mnist"
    assert listing(cache) == {n: server.files[n] for n in (TEST_IMAGES, TEST_LABELS)}
    assert server.requests == [f"/good/{TEST_IMAGES}", f"/good/{TEST_LABELS}"]
    data.load_mnist("test")
    assert len(server.requests) == 2  # found in the cache, not fetched again


def test_download_goes_to_the_root_argument_when_given(isolated, server, mirrors):
    mirrors("good")
    data.load_mnist("train", root=isolated / "mine", profile="full")
    assert set(listing(isolated / "mine" / "mnist")) == {TRAIN_IMAGES, TRAIN_LABELS}
    assert listing(data.cache_dir()) == {}


def test_download_only_fetches_the_missing_file(isolated, server, mirrors, small_mnist):
    place(isolated / "root", {TRAIN_IMAGES: small_mnist["files"][TRAIN_IMAGES]})
    mirrors("good")
    data.load_mnist("train", root=isolated / "root", profile="full")
    assert server.requests == [f"/good/{TRAIN_LABELS}"]


def test_no_files_and_download_off_says_where_it_looked_and_how_to_fix(isolated, monkeypatch):
    monkeypatch.setenv(data.ENV_DATA, str(isolated / "env"))
    with pytest.raises(data.MNISTNotFoundError) as info:
        data.load_mnist("train", root=isolated / "root", download=False)
    message = str(info.value)
    for place_ in (isolated / "root" / "mnist", isolated / "env" / "mnist", data.cache_dir()):
        assert str(place_) in message
    assert TRAIN_IMAGES in message and TRAIN_LABELS in message
    assert "download=False" in message and "root=" in message and f"{data.ENV_DATA}=" in message
    assert listing(isolated) == {}  # nothing was created anywhere


def test_no_network_reports_places_and_mirrors_and_leaves_nothing(isolated, monkeypatch):
    url = closed_port_url()
    monkeypatch.setattr(data, "MIRRORS", [url])
    with pytest.raises(data.MNISTNotFoundError) as info:
        data.load_mnist("test")
    message = str(info.value)
    assert url + TEST_IMAGES in message and "could not download" in message
    assert str(data.cache_dir() / "mnist") in message and data.ENV_DATA in message
    assert listing(isolated) == {}


def test_404_and_403_fall_through_to_the_next_mirror(isolated, server, mirrors):
    mirrors("404", "403", "good")
    data.load_mnist("test", profile="full")
    assert server.requests[:3] == [
        f"/404/{TEST_IMAGES}",
        f"/403/{TEST_IMAGES}",
        f"/good/{TEST_IMAGES}",
    ]
    assert set(listing(data.cache_dir())) == {f"mnist/{TEST_IMAGES}", f"mnist/{TEST_LABELS}"}


def test_404_and_403_everywhere_is_a_clear_error_naming_the_file(isolated, server, mirrors):
    urls = mirrors("404", "403")
    with pytest.raises(data.MNISTNotFoundError) as info:
        data.load_mnist("test")
    message = str(info.value)
    assert f"{urls[0]}{TEST_IMAGES}: HTTP 404" in message
    assert f"{urls[1]}{TEST_IMAGES}: HTTP 403" in message
    assert listing(isolated) == {}


def test_wrong_checksum_is_rejected_and_the_next_mirror_used(isolated, server, mirrors):
    urls = mirrors("wrong")
    with pytest.raises(data.MNISTNotFoundError) as info:
        data.load_mnist("test")
    assert f"{urls[0]}{TEST_IMAGES}: wrong checksum" in str(info.value)
    assert data.MD5[TEST_IMAGES] in str(info.value)
    assert listing(isolated) == {}
    mirrors("wrong", "good")
    data.load_mnist("test")
    assert listing(data.cache_dir() / "mnist")[TEST_IMAGES] == server.files[TEST_IMAGES]


@pytest.mark.parametrize("mode", ["short", "lie"])
def test_truncated_download_leaves_no_file(isolated, server, mirrors, mode):
    # short: half the file, honestly announced (caught by the MD5);
    # lie: half the file while Content-Length promises all of it (caught by the byte count).
    urls = mirrors(mode)
    with pytest.raises(data.MNISTNotFoundError) as info:
        data.load_mnist("test")
    assert urls[0] + TEST_IMAGES in str(info.value)
    expected = "wrong checksum" if mode == "short" else "connection closed after"
    assert expected in str(info.value)
    assert listing(isolated) == {}


def test_interrupted_download_removes_its_temporary_file(isolated, server, mirrors, monkeypatch):
    mirrors("good")
    real_fetch = _mnist_files.fetch

    def fetch_then_interrupt(url, f, name, *args):
        real_fetch(url, f, name, *args)  # the whole file is in the temporary file now...
        raise KeyboardInterrupt  # ...when the user presses Ctrl-C

    monkeypatch.setattr(_mnist_files, "fetch", fetch_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        data.load_mnist("test")
    assert listing(isolated) == {}


def test_read_only_cache_folder_is_a_clear_error(isolated, server, mirrors, monkeypatch):
    mirrors("good")
    folder = data.cache_dir() / "mnist"
    folder.mkdir(parents=True)
    folder.chmod(0o555)
    try:
        probe = folder / "probe"
        try:
            probe.write_bytes(b"")
            probe.unlink()
            writable_anyway = True  # running as root: permissions do not stop writes
        except PermissionError:
            writable_anyway = False
        if writable_anyway:
            # Make the kernel's answer for this folder what it is for a normal user.
            real_open = os.open

            def open_as_user(path, flags, *args, **kwargs):
                if Path(path).parent == folder and flags & (os.O_WRONLY | os.O_RDWR):
                    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
                return real_open(path, flags, *args, **kwargs)

            monkeypatch.setattr(os, "open", open_as_user)
        with pytest.raises(PermissionError) as info:
            data.load_mnist("test")
        message = str(info.value)
        assert str(folder) in message and TEST_IMAGES in message and "not writable" in message
        assert server.requests == []  # it failed before using the network
        assert listing(folder) == {}
    finally:
        folder.chmod(0o755)


# ---------------------------------------------------------------------------- files placed by hand


def test_truncated_gzip_is_named_and_left_alone(isolated, small_mnist):
    files = dict(small_mnist["files"])
    files[TRAIN_IMAGES] = files[TRAIN_IMAGES][:-30]
    folder = place(isolated / "root", files)
    before = listing(folder)
    with pytest.raises(ValueError, match="not a complete gzip file") as info:
        data.load_mnist("train", root=isolated / "root", download=False)
    assert str(folder / TRAIN_IMAGES) in str(info.value)
    assert listing(folder) == before


@pytest.mark.parametrize(
    "body, expected",
    [
        (idx_bytes(2052, (12, 28, 28), bytes(12 * 784)), "magic number is 2052"),
        (idx_bytes(2051, (12, 28, 27), bytes(12 * 28 * 27)), "shape"),
        (idx_bytes(2051, (12, 28, 28), bytes(11 * 784)), "header says"),
        (idx_bytes(2049, (12,), bytes(12)), "shape"),
        (b"\x00\x00", "header too short"),
    ],
    ids=["magic", "dims", "count", "labels-as-images", "short"],
)
def test_corrupt_idx_header_is_named(isolated, small_mnist, body, expected):
    files = dict(small_mnist["files"], **{TRAIN_IMAGES: gzip.compress(body)})
    folder = place(isolated / "root", files)
    before = listing(folder)
    with pytest.raises(ValueError, match=expected) as info:
        data.load_mnist("train", root=isolated / "root", download=False)
    assert str(folder / TRAIN_IMAGES) in str(info.value)
    assert listing(folder) == before


def test_label_count_not_matching_images_names_both_files(isolated, small_mnist):
    _, labels = small_mnist["train"]
    files = dict(small_mnist["files"], **{TRAIN_LABELS: labels_gz(labels[:11])})
    folder = place(isolated / "root", files)
    before = listing(folder)
    with pytest.raises(ValueError, match="holds 11 labels") as info:
        data.load_mnist("train", root=isolated / "root", download=False)
    assert str(folder / TRAIN_LABELS) in str(info.value)
    assert str(folder / TRAIN_IMAGES) in str(info.value)
    assert listing(folder) == before


def test_label_out_of_range_is_named(isolated, small_mnist):
    _, labels = small_mnist["train"]
    bad = labels.copy()
    bad[3] = 10
    folder = place(isolated / "root", dict(small_mnist["files"], **{TRAIN_LABELS: labels_gz(bad)}))
    with pytest.raises(ValueError, match="digits 0..9, found 10") as info:
        data.load_mnist("train", root=isolated / "root", download=False)
    assert str(folder / TRAIN_LABELS) in str(info.value)


def test_hand_placed_files_are_not_checked_against_the_official_md5(isolated, small_mnist):
    # The small files' MD5s differ from data.MD5: loading them by hand must still work.
    assert md5s(small_mnist["files"])[TRAIN_IMAGES] != data.MD5[TRAIN_IMAGES]
    place(isolated / "root", small_mnist["files"])
    x, _ = data.load_mnist("train", root=isolated / "root", download=False, profile="full")
    assert len(x) == 12


# ---------------------------------------------------------------------------- profiles


def test_profile_default_env_and_set_profile(monkeypatch):
    monkeypatch.delenv(data.ENV_PROFILE, raising=False)
    assert data.get_profile() == "quick"
    monkeypatch.setenv(data.ENV_PROFILE, "full")
    assert data.get_profile() == "full"
    assert data.set_profile("quick") == "quick"
    assert data.get_profile() == "quick" and os.environ[data.ENV_PROFILE] == "quick"


def test_bad_profile_split_and_env_are_clear_value_errors(monkeypatch):
    with pytest.raises(ValueError, match="profile must be one of 'quick', 'full', got 'fast'"):
        data.set_profile("fast")
    with pytest.raises(ValueError, match="profile must be one of"):
        data.load_mnist("train", profile="medium", download=False)
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        data.load_mnist("val", download=False)
    monkeypatch.setenv(data.ENV_PROFILE, "Full")
    with pytest.raises(ValueError, match=f"environment variable {data.ENV_PROFILE}"):
        data.get_profile()


def test_quick_subset_is_balanced_by_content_and_order_independent():
    pixels, labels = make_split(200, seed=3)
    keep = data.quick_subset(pixels, labels, per_class=5)
    assert len(keep) == 50
    assert np.bincount(labels[keep], minlength=10).tolist() == [5] * 10
    # Reference: per digit, the 5 images whose BLAKE2b-64 key is smallest; ordered by key.
    key = [
        int.from_bytes(hashlib.blake2b(p.tobytes(), digest_size=8).digest(), "little")
        for p in pixels
    ]
    chosen = [
        i for d in range(10) for i in sorted(np.flatnonzero(labels == d), key=key.__getitem__)[:5]
    ]
    assert keep.tolist() == sorted(chosen, key=key.__getitem__)
    # The same images in another order give the same subset, image for image.
    perm = np.random.default_rng(0).permutation(200)
    keep_perm = data.quick_subset(pixels[perm], labels[perm], per_class=5)
    assert np.array_equal(pixels[perm][keep_perm], pixels[keep])
    assert np.array_equal(labels[perm][keep_perm], labels[keep])


def test_quick_profile_on_small_files_takes_per_class_images(isolated, small_mnist):
    place(isolated / "root", small_mnist["files"])
    full, _ = data.load_mnist("train", root=isolated / "root", download=False, profile="full")
    quick, _ = data.load_mnist("train", root=isolated / "root", download=False, profile="quick")
    test_quick, _ = data.load_mnist("test", root=isolated / "root", download=False, profile="quick")
    assert len(quick) == len(full) == 12  # fewer than 1,000 per digit: all are kept
    assert len(test_quick) == 7  # the test split is never cut


# ---------------------------------------------------------------------------- the real files


@pytest.fixture(scope="module")
def real_folder():
    folder = data.find_mnist("train")
    if folder is None or data.find_mnist("test") is None:
        pytest.skip(f"real MNIST not found; set {data.ENV_DATA} to a folder holding mnist/")
    return folder


def test_real_mnist_full_and_test_splits(real_folder):
    x, y = data.load_mnist("train", download=False, profile="full")
    xt, yt = data.load_mnist("test", download=False, profile="full")
    assert x.shape == (60000, 1, 28, 28) and xt.shape == (10000, 1, 28, 28)
    assert x.dtype == xt.dtype == torch.float32 and y.dtype == yt.dtype == torch.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert set(y.unique().tolist()) == set(yt.unique().tolist()) == set(range(10))


def test_real_quick_profile_is_a_balanced_content_defined_subset(real_folder):
    images = data.read_images(real_folder / TRAIN_IMAGES)
    labels = data.read_labels(real_folder / TRAIN_LABELS)
    xq, yq = data.load_mnist("train", download=False, profile="quick")
    xt, _ = data.load_mnist("test", download=False, profile="quick")
    assert xq.shape == (10000, 1, 28, 28) and len(xt) == 10000
    assert torch.bincount(yq, minlength=10).tolist() == [1000] * 10
    # Every quick image is a training image with its own label (the subset is not made up).
    keys = dict(zip(data.image_keys(images).tolist(), labels.tolist(), strict=True))
    quick_pixels = (xq[:, 0] * 255).round().to(torch.uint8).numpy()
    quick_keys = data.image_keys(quick_pixels).tolist()
    assert [keys[k] for k in quick_keys] == yq.tolist()
    # A training file in another order (as the official one is) selects the same images.
    perm = np.random.default_rng(1).permutation(len(images))
    keep = data.quick_subset(images[perm], labels[perm])
    assert np.array_equal(images[perm][keep], quick_pixels)


def test_official_md5s_accept_the_official_files_only(real_folder, isolated, monkeypatch):
    # The shared test files are the official ones: downloaded, they pass the official MD5s.
    # Its train images are reordered (see its README): a download of that file is refused,
    # which is why hand-placed files are checked by structure instead.
    files = {name: (real_folder / name).read_bytes() for name in data.MD5}
    with serve(files) as httpd:
        monkeypatch.setattr(data, "MIRRORS", [f"{httpd.url}/good/"])
        x, y = data.load_mnist("test")
        with pytest.raises(data.MNISTNotFoundError, match="wrong checksum") as info:
            data.load_mnist("train")
    x_local, y_local = data.load_mnist("test", root=real_folder.parent, download=False)
    assert torch.equal(x, x_local) and torch.equal(y, y_local)
    assert TRAIN_IMAGES in str(info.value) and data.MD5[TRAIN_IMAGES] in str(info.value)
    # Only the verified files landed in the cache; no trace of the refused one.
    assert set(listing(data.cache_dir() / "mnist")) == {TEST_IMAGES, TEST_LABELS}


# ---------------------------------------------------------------------------- binarisation


def test_binarize_thresholds_and_keeps_dtype():
    x = torch.tensor([[0.0, 0.2, 0.5, 0.51, 1.0]], dtype=torch.float64)
    assert torch.equal(data.binarize(x), torch.tensor([[0.0, 0, 0, 1, 1]], dtype=torch.float64))
    assert torch.equal(data.binarize(x, threshold=0.1), torch.tensor([[0.0, 1, 1, 1, 1]]).double())


def test_binarize_bad_inputs():
    with pytest.raises(TypeError, match="images must be a float tensor"):
        data.binarize(np.zeros(3))
    with pytest.raises(TypeError, match="images must be a float tensor"):
        data.dynamic_binarize(torch.zeros(3, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"images must lie in \[0, 1\]"):
        data.dynamic_binarize(torch.tensor([0.5, 255.0]))
    with pytest.raises(ValueError, match="threshold must lie in"):
        data.binarize(torch.zeros(3), threshold=1.5)


def test_dynamic_binarize_is_bernoulli_fresh_and_seeded():
    x = torch.full((100_000,), 0.3)
    x[:10] = 0.0
    x[10:20] = 1.0
    a = data.dynamic_binarize(x, torch.Generator().manual_seed(0))
    b = data.dynamic_binarize(x, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)
    c, d = data.dynamic_binarize(x, g), data.dynamic_binarize(x, g)
    assert set(a.unique().tolist()) <= {0.0, 1.0} and a.dtype == x.dtype
    assert torch.equal(a, b) and torch.equal(a, c)  # same seed, same draw
    assert not torch.equal(c, d)  # a fresh draw on each call
    assert torch.all(a[:10] == 0) and torch.all(a[10:20] == 1)
    # E[x_bin] = x: the mean of 99,980 draws at p = 0.3 is within 5 standard errors.
    p, n = 0.3, 99_980
    assert abs(float(a[20:].mean()) - p) < 5 * (p * (1 - p) / n) ** 0.5


# ---------------------------------------------------------------------------- faults (issue 17)


def test_a_dripping_server_trips_the_overall_deadline(isolated, server, mirrors):
    urls = mirrors("drip", "good")
    start = time.monotonic()
    # the first mirror drips (never idle for TIMEOUT), so the deadline moves on to the next
    folder = data.download_mnist("test", mirrors=urls, checksums=data.MD5, deadline=0.5)
    assert time.monotonic() - start < 5.0
    assert listing(folder)[TEST_IMAGES] == server.files[TEST_IMAGES]
    urls = mirrors("drip")
    data.clear_cache()
    with pytest.raises(data.MNISTNotFoundError, match="longer than the deadline of 0.5 s"):
        data.download_mnist("test", root=isolated / "other", mirrors=urls, deadline=0.5)
    assert listing(isolated / "other") == {}


def test_stale_part_files_of_a_killed_download_are_removed(isolated, server, mirrors):
    mirrors("good")
    folder = data.cache_dir() / "mnist"
    folder.mkdir(parents=True)
    stale = folder / f".{TEST_IMAGES}.abc123.part"
    stale.write_bytes(b"half a download")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = folder / f".{TEST_LABELS}.def456.part"  # another process may still be writing it
    fresh.write_bytes(b"in progress")
    data.load_mnist("test")
    assert not stale.exists() and fresh.exists()


def test_mirrors_given_as_a_string_is_refused(isolated):
    with pytest.raises(TypeError, match="mirrors must be a list of base URLs, got the single"):
        data.download_mnist("test", mirrors="http://127.0.0.1/mnist/")
    with pytest.raises(TypeError, match="mirrors must be a list"):
        data.download_mnist("test", mirrors=[None])
    with pytest.raises(ValueError, match="deadline must"):
        data.download_mnist("test", deadline=0)


def test_binarized_mnist_is_one_fixed_bernoulli_draw(isolated, small_mnist):
    """load_binarized_mnist: 0/1 pixels, E[x_bin] = grey level, the same draw for the same seed."""
    place(isolated / "root", small_mnist["files"])
    grey, labels = data.load_mnist("test", root=isolated / "root", download=False, profile="full")
    x_bin, y = data.load_binarized_mnist("test", root=isolated / "root")
    again, _ = data.load_binarized_mnist("test", root=isolated / "root")
    other, _ = data.load_binarized_mnist("test", seed=1, root=isolated / "root")
    assert x_bin.shape == grey.shape and torch.equal(y, labels)
    assert set(x_bin.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(x_bin, again) and not torch.equal(x_bin, other)
    # pixels that are 0 or 1 in grey stay so; the ink fraction matches the mean grey level
    assert torch.equal(x_bin[grey == 0], grey[grey == 0]) and torch.equal(
        x_bin[grey == 1], grey[grey == 1]
    )
    assert abs(x_bin.mean().item() - grey.mean().item()) < 0.05
    with pytest.raises(TypeError, match="seed"):
        data.load_binarized_mnist("test", seed=0.5, root=isolated / "root")
