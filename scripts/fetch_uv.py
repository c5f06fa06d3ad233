"""Install uv for this user from its PyPI wheel, with nothing but the Python standard library.

    python3 scripts/fetch_uv.py [BIN_DIR]

For hosts where `pip install` is refused (PEP 668: Debian 12+, Ubuntu 23.04+) or where pip
and venv are not installed at all (a stock Debian python3): the wheel of a pinned uv release
is downloaded from the package index (PyPI, or `$UV_INDEX_URL` / `$PIP_INDEX_URL` when set),
its SHA-256 checked against the index, and the `uv` binary written to BIN_DIR
(default `~/.local/bin`). Nothing else on the system changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import stat
import sys
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

VERSION = "0.13.10"
MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def index_url() -> str:
    """The simple index to read from (a mirror when the environment names one)."""
    url = (
        os.environ.get("UV_INDEX_URL")
        or os.environ.get("PIP_INDEX_URL")
        or "https://pypi.org/simple"
    )
    return url.rstrip("/")


def wanted_tag() -> tuple[str, str]:
    """(libc family, machine) of the wheel this host needs."""
    machine = MACHINES.get(platform.machine().lower())
    if machine is None or sys.platform != "linux":
        sys.exit(
            f"fetch_uv: no uv wheel for {sys.platform}/{platform.machine()}; "
            "install uv by hand: https://docs.astral.sh/uv/"
        )
    libc = "manylinux" if platform.libc_ver()[0] == "glibc" else "musllinux"
    return libc, machine


def pick(files: list[dict[str, object]], libc: str, machine: str) -> dict[str, object]:
    """The wheel of VERSION for this host."""
    for entry in files:
        name = str(entry["filename"])
        if (
            name.startswith(f"uv-{VERSION}-")
            and name.endswith(".whl")
            and libc in name
            and machine in name
            and not entry.get("yanked")
        ):
            return entry
    sys.exit(f"fetch_uv: the index has no uv {VERSION} wheel for {libc} {machine}")


def main() -> None:
    """Download, check and unpack the uv binary."""
    target = Path(sys.argv[1] if len(sys.argv) > 1 else Path.home() / ".local" / "bin")
    libc, machine = wanted_tag()
    request = urllib.request.Request(  # noqa: S310
        f"{index_url()}/uv/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (index URL)
            listing = json.load(answer)
        entry = pick(listing["files"], libc, machine)
        url = urllib.parse.urljoin(f"{index_url()}/uv/", str(entry["url"]))
        with urllib.request.urlopen(url, timeout=300) as answer:  # noqa: S310
            wheel = answer.read()
    except OSError as exc:
        sys.exit(
            f"fetch_uv: cannot reach the package index ({exc}); "
            "set UV_INDEX_URL to a mirror or install uv by hand"
        )
    expected = dict(entry["hashes"]).get("sha256")  # type: ignore[call-overload]
    if expected and hashlib.sha256(wheel).hexdigest() != expected:
        sys.exit("fetch_uv: the downloaded uv wheel does not match the index's SHA-256")
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        for name in ("uv", "uvx"):
            member = next(m for m in archive.namelist() if m.endswith(f".data/scripts/{name}"))
            path = target / name
            path.write_bytes(archive.read(member))
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    print(f"fetch_uv: installed uv {VERSION} in {target}", file=sys.stderr)  # noqa: T201


if __name__ == "__main__":
    main()
