"""Loader for the hand-labelled plate text (`training/labels/*.tsv`).

One header line, then one plate box per line, tab-separated:

    image   xmin  ymin  xmax  ymax  text  region  split

* image: file name in the dataset folder (openimages-plates: its Open Images ID + `.jpg`);
* xmin..ymax: the dataset's box in pixels of that image (as in its `boxes.csv`);
* text: the plate's characters, `A-Z0-9` only (no spaces or dashes), or `illegible`;
* region: ISO 3166 alpha-2 country (`GB`, `DE`, ...), `US-XX` for a US state, `US`/`EU` when only
  that much is visible, `?` when unknown;
* split: `train` or `dev`; it follows the image (every box of an image is in the same split), and
  for openimages-plates it is the dataset's own split (`valid` images are `dev`).

Standard library only, so the tests and tools run without numpy.
"""

import re
from dataclasses import dataclass

ILLEGIBLE = "illegible"
HEADER = ["image", "xmin", "ymin", "xmax", "ymax", "text", "region", "split"]
SPLITS = ("train", "dev")
_TEXT = re.compile(r"^[A-Z0-9]+$")
_REGION = re.compile(r"^(\?|[A-Z]{2}|US-[A-Z]{2})$")


def normalise(text: str) -> str:
    """Upper-case letters and digits only (as `eval::normalise` in the Rust crate)."""
    return "".join(c for c in text.upper() if c.isascii() and c.isalnum())


@dataclass(frozen=True)
class Label:
    image: str
    box: tuple  # (xmin, ymin, xmax, ymax) in pixels
    text: str  # A-Z0-9, or ILLEGIBLE
    region: str
    split: str

    @property
    def legible(self) -> bool:
        return self.text != ILLEGIBLE

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


class LabelError(ValueError):
    pass


def parse(lines, source: str = "<labels>"):
    """Parses label lines (header first); raises LabelError naming the line on any bad field."""
    out = []
    split_of = {}
    it = iter(lines)
    header = next(it, "").rstrip("\n").split("\t")
    if header != HEADER:
        raise LabelError(f"{source}: header must be {'<TAB>'.join(HEADER)}, found {header}")
    for no, line in enumerate(it, 2):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        f = line.split("\t")
        where = f"{source}:{no}"
        if len(f) != len(HEADER):
            raise LabelError(f"{where}: expected {len(HEADER)} tab-separated fields, found {len(f)}")
        try:
            box = tuple(float(v) for v in f[1:5])
        except ValueError:
            raise LabelError(f"{where}: box {f[1:5]} is not numbers") from None
        if not (box[2] > box[0] and box[3] > box[1]):
            raise LabelError(f"{where}: empty box {box}")
        text, region, split = f[5], f[6], f[7]
        if text != ILLEGIBLE and (not _TEXT.match(text) or text.lower() == ILLEGIBLE):
            raise LabelError(f"{where}: text {text!r} must be A-Z0-9 or '{ILLEGIBLE}'")
        if not _REGION.match(region):
            raise LabelError(f"{where}: region {region!r} must be XX, US-XX or '?'")
        if split not in SPLITS:
            raise LabelError(f"{where}: split {split!r} must be one of {SPLITS}")
        if split_of.setdefault(f[0], split) != split:
            raise LabelError(f"{where}: {f[0]} is in both {split_of[f[0]]} and {split} (split by image)")
        out.append(Label(f[0], box, text, region, split))
    return out


def load(path: str):
    with open(path) as f:
        return parse(f, path)


def dumps(items) -> str:
    rows = ["\t".join(HEADER)]
    for x in items:
        rows.append("\t".join([x.image, *(f"{v:g}" for v in x.box), x.text, x.region, x.split]))
    return "\n".join(rows) + "\n"


def save(path: str, items):
    import os

    parse(dumps(items).splitlines(), path)  # never write a file the loader rejects
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(dumps(items))
