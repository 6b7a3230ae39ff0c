#!/usr/bin/env python3
"""Copy the browser libraries the web UI needs from node_modules into the package.

The war room runs on a closed network, so nothing is loaded from a CDN: the built files of the
npm packages pinned in package.json are copied into ``src/warroom/web/static/vendor/`` and ship
inside the Python package. That folder is generated (run ``npm ci`` first, then this script from
the repository root); it is not edited by hand and not committed.

Standard library only; no arguments. Exits 1 with a message when node_modules is missing.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "warroom" / "web" / "static" / "vendor"

# package name -> (source path inside node_modules/<package>, target path inside vendor/<package>)
ASSETS: dict[str, list[tuple[str, str]]] = {
    "leaflet": [
        ("dist/leaflet.js", "leaflet.js"),
        ("dist/leaflet.css", "leaflet.css"),
        ("dist/images", "images"),
        ("LICENSE", "LICENSE"),
    ],
    # dist/pmtiles.js is the IIFE browser build: it defines the global `pmtiles`
    # (pmtiles.PMTiles, pmtiles.leafletRasterLayer) and bundles its fflate dependency.
    "pmtiles": [
        ("dist/pmtiles.js", "pmtiles.js"),
    ],
    # hls.js (light build): live camera tiles and playback from HLS, no transcoding.
    "hls.js": [
        ("dist/hls.light.min.js", "hls.light.min.js"),
        ("LICENSE", "LICENSE"),
    ],
    # uPlot: small, fast time-series charts for the weather station page.
    "uplot": [
        ("dist/uPlot.iife.min.js", "uPlot.iife.min.js"),
        ("dist/uPlot.min.css", "uPlot.min.css"),
        ("LICENSE", "LICENSE"),
    ],
}


def fail(message: str) -> None:
    print(f"vendor_assets: {message}", file=sys.stderr)
    sys.exit(1)


def package_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def check_sources() -> None:
    if not NODE_MODULES.is_dir():
        fail(f"{NODE_MODULES} is missing: run `npm ci` in {ROOT} first.")
    for package, files in ASSETS.items():
        for source, _ in files:
            path = NODE_MODULES / package / source
            if not path.exists():
                fail(f"{path} is missing: run `npm ci` in {ROOT} (package.json pins {package}).")


def copy_package(package: str, files: list[tuple[str, str]]) -> None:
    target_dir = VENDOR / package
    if target_dir.exists():
        shutil.rmtree(target_dir)  # no stale files from an older version
    target_dir.mkdir(parents=True)
    for source, target in files:
        src = NODE_MODULES / package / source
        dst = target_dir / target
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    print(f"vendor_assets: {package} {package_version(package)} -> {target_dir.relative_to(ROOT)}")


def main() -> None:
    check_sources()
    for package, files in ASSETS.items():
        copy_package(package, files)


if __name__ == "__main__":
    main()
