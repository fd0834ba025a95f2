#!/usr/bin/python3
"""Labelling tool for the plate text of openimages-plates (issue 16, item 2).

    python3 training/label_plates.py crops   [--min-width 60]   # cut crops + index into the cache
    python3 training/label_plates.py sheets  [--per-sheet 24]   # numbered contact sheets (PNG)
    python3 training/label_plates.py build   DRAFT...           # draft lines -> labels TSV
    python3 training/label_plates.py stats                      # counts per split

Crops and sheets go to `training/cache/labelling/` (ignored by git; `SIGHTLINE_TRAIN_CACHE` moves
it); nothing from the dataset is copied into the repository, only the text labels.

A draft is a text file of lines `ID TEXT [REGION]` (whitespace-separated; `#` starts a comment),
where ID is the number printed on the contact sheet, TEXT is the plate text (letters and digits;
spaces, dashes and dots are dropped) or `illegible`, and REGION is a country (ISO 3166 alpha-2, e.g.
`GB`, `DE`) or US state (`US-CA`), `US` or `EU` when only that much is visible, or `?`. `build`
joins the drafts with the crop index and writes `training/labels/openimages-plates.tsv`
(format: see `labels.py`). Every crop must be labelled exactly once.
"""

import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import labels  # noqa: E402

ROOT = os.path.dirname(HERE)
CACHE = os.environ.get("SIGHTLINE_TRAIN_CACHE", os.path.join(HERE, "cache"))
DATASET = os.environ.get(
    "SIGHTLINE_OPENIMAGES", os.path.join(ROOT, "..", "shared", "datasets", "openimages-plates")
)
WORK = os.path.join(CACHE, "labelling")
INDEX = os.path.join(WORK, "index.tsv")
OUT = os.path.join(HERE, "labels", "openimages-plates.tsv")


def read_boxes(dataset: str):
    """boxes.csv rows as (split, image, (xmin, ymin, xmax, ymax)) in file order."""
    with open(os.path.join(dataset, "boxes.csv"), newline="") as f:
        return [
            (r["split"], r["image"], tuple(float(r[k]) for k in ("xmin", "ymin", "xmax", "ymax")))
            for r in csv.DictReader(f)
        ]


def select(rows, min_width: float):
    """The boxes wider than min_width, ordered by split, image, then left to right (stable ids)."""
    keep = [r for r in rows if r[2][2] - r[2][0] > min_width]
    return sorted(keep, key=lambda r: (r[0] != "train", r[1], r[2][0], r[2][1]))


def pad_box(box, w: int, h: int, frac: float = 0.12):
    x0, y0, x1, y1 = box
    px, py = (x1 - x0) * frac, (y1 - y0) * frac * 2
    return (max(0, int(x0 - px)), max(0, int(y0 - py)), min(w, int(x1 + px + 1)), min(h, int(y1 + py + 1)))


def cmd_crops(a):
    from PIL import Image

    rows = select(read_boxes(a.dataset), a.min_width)
    os.makedirs(os.path.join(WORK, "crops"), exist_ok=True)
    with open(INDEX, "w") as idx:
        idx.write("id\tsplit\timage\txmin\tymin\txmax\tymax\n")
        cur, img = None, None
        for i, (split, name, box) in enumerate(rows):
            if name != cur:
                cur, img = name, Image.open(os.path.join(a.dataset, name)).convert("RGB")
            crop = img.crop(pad_box(box, *img.size))
            crop.save(os.path.join(WORK, "crops", f"{i:04d}.png"))
            idx.write(f"{i}\t{split}\t{name}\t" + "\t".join(f"{v:g}" for v in box) + "\n")
    print(f"{len(rows)} crops wider than {a.min_width:g} px -> {WORK}/crops, index {INDEX}")


def read_index():
    with open(INDEX) as f:
        r = csv.DictReader(f, delimiter="\t")
        return [
            (int(x["id"]), x["split"], x["image"], tuple(float(x[k]) for k in ("xmin", "ymin", "xmax", "ymax")))
            for x in r
        ]


def cmd_sheets(a):
    from PIL import Image, ImageDraw, ImageFont

    index = read_index()
    cols, cw, ch, lab = a.cols, a.cell_width, a.cell_height, 22
    rows_per = (a.per_sheet + cols - 1) // cols
    os.makedirs(os.path.join(WORK, "sheets"), exist_ok=True)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 18)
    except OSError:
        font = ImageFont.load_default()
    n = 0
    for s in range(0, len(index), a.per_sheet):
        part = index[s : s + a.per_sheet]
        sheet = Image.new("RGB", (cols * cw, rows_per * (ch + lab)), (255, 255, 255))
        d = ImageDraw.Draw(sheet)
        for k, (i, split, name, box) in enumerate(part):
            crop = Image.open(os.path.join(WORK, "crops", f"{i:04d}.png"))
            scale = min((cw - 6) / crop.width, (ch - 4) / crop.height)
            crop = crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))), Image.LANCZOS)
            x, y = (k % cols) * cw, (k // cols) * (ch + lab)
            sheet.paste(crop, (x + (cw - crop.width) // 2, y + lab + (ch - crop.height) // 2))
            d.text((x + 4, y + 1), f"{i}  ({box[2] - box[0]:.0f}px)", fill=(200, 0, 0), font=font)
            d.rectangle([x, y, x + cw - 1, y + ch + lab - 1], outline=(160, 160, 160))
        path = os.path.join(WORK, "sheets", f"sheet{s // a.per_sheet:03d}.png")
        sheet.save(path)
        n += 1
    print(f"{n} sheets of {a.per_sheet} -> {WORK}/sheets")


def parse_draft(lines):
    """Draft lines -> {id: (text, region)}; raises ValueError naming the bad line."""
    out = {}
    for no, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) < 2 or len(parts) > 3 or not parts[0].isdigit():
            raise ValueError(f"line {no}: expected 'ID TEXT [REGION]', found {line!r}")
        i = int(parts[0])
        text = parts[1] if parts[1].lower() == labels.ILLEGIBLE else labels.normalise(parts[1])
        if parts[1].lower() != labels.ILLEGIBLE and not text:
            raise ValueError(f"line {no}: empty plate text")
        if text.lower() == labels.ILLEGIBLE:
            text = labels.ILLEGIBLE
        region = parts[2] if len(parts) == 3 else "?"
        if i in out:
            raise ValueError(f"line {no}: id {i} labelled twice")
        out[i] = (text, region)
    return out


def cmd_build(a):
    index = read_index()
    draft = {}
    for path in a.drafts:
        with open(path) as f:
            for i, v in parse_draft(f).items():
                if i in draft:
                    raise SystemExit(f"{path}: id {i} labelled twice")
                draft[i] = v
    known = {i for i, *_ in index}
    extra = sorted(set(draft) - known)
    if extra:
        raise SystemExit(f"ids not in the index: {extra[:10]}")
    missing = [i for i in sorted(known) if i not in draft]
    if missing and not a.partial:
        raise SystemExit(f"{len(missing)} crops unlabelled (first {missing[:10]}); --partial to write anyway")
    out = []
    for i, split, name, box in index:
        if i not in draft:
            continue
        text, region = draft[i]
        out.append(labels.Label(name, box, text, region, "train" if split == "train" else "dev"))
    labels.save(a.out, out)
    print(f"{len(out)} labels -> {a.out}")
    cmd_stats(argparse.Namespace(labels=a.out))


def cmd_stats(a):
    ls = labels.load(a.labels)
    from collections import Counter

    c = Counter((x.split, x.legible) for x in ls)
    for split in ("train", "dev"):
        print(f"{split}: {c[(split, True)]} legible, {c[(split, False)]} illegible")
    reg = Counter(x.region.split("-")[0] for x in ls if x.legible)
    print("regions (legible):", ", ".join(f"{k} {v}" for k, v in reg.most_common()))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default=DATASET)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("crops")
    c.add_argument("--min-width", type=float, default=60.0)
    s = sub.add_parser("sheets")
    s.add_argument("--per-sheet", type=int, default=24)
    s.add_argument("--cols", type=int, default=4)
    s.add_argument("--cell-width", type=int, default=340)
    s.add_argument("--cell-height", type=int, default=170)
    b = sub.add_parser("build")
    b.add_argument("drafts", nargs="+")
    b.add_argument("--out", default=OUT)
    b.add_argument("--partial", action="store_true")
    t = sub.add_parser("stats")
    t.add_argument("--labels", default=OUT)
    a = p.parse_args()
    {"crops": cmd_crops, "sheets": cmd_sheets, "build": cmd_build, "stats": cmd_stats}[a.cmd](a)


if __name__ == "__main__":
    main()
