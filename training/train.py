"""Sightline's plate models: generate synthetic data, train, export ONNX.

    python3 training/train.py all            # everything, from scratch (see training/README.md)
    python3 training/train.py data-rec|data-det|rec|det|export

Data is written to training/cache/ (ignored by git); the exported models go to
crates/recognize/models/ and are committed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from multiprocessing import Pool

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synth  # noqa: E402

ROOT = os.path.dirname(HERE)
CACHE = os.environ.get("SIGHTLINE_TRAIN_CACHE", os.path.join(HERE, "cache"))
# Training runs on a CUDA GPU when there is one (data generation always runs on the CPU cores).
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
MODELS = os.path.join(ROOT, "crates", "recognize", "models")
DASHCAM = os.environ.get("SIGHTLINE_DASHCAM", os.path.join(ROOT, "..", "shared", "datasets", "ro-dashcam-boxes"))
SEED = 20261126

# --------------------------------------------------------------------------------------------- models


def cbr(i, o, k=3, s=1, p=None):
    if p is None:
        p = k // 2 if isinstance(k, int) else (k[0] // 2, k[1] // 2)
    return [nn.Conv2d(i, o, k, s, p, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]


class Recogniser(nn.Module):
    """Grey 32x128 crop -> 37 x 64 logits (blank + 0-9 + A-Z); the 64 steps are the top feature row
    followed by the bottom one, so two-row plates read top line then bottom line."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *cbr(1, 16), nn.MaxPool2d(2),  # 16 x 64
            *cbr(16, 32), nn.MaxPool2d(2),  # 8 x 32
            *cbr(32, 64), *cbr(64, 64), nn.MaxPool2d((2, 1)),  # 4 x 32
            *cbr(64, 96), nn.MaxPool2d((2, 1)),  # 2 x 32
            *cbr(96, 96, (1, 3)),
            nn.Dropout2d(0.1),
        )
        self.head = nn.Conv2d(96, len(synth.ALPHABET) + 1, 1)

    def forward(self, x):  # x: N,1,32,128 in 0..1
        y = self.head(self.features(x * 2.0 - 1.0))
        return y.flatten(2)  # N, C, 64


class Detector(nn.Module):
    """RGB frame (any multiple of 32) -> stride-4 map: plate-centre heat + 4 corner offsets."""

    def __init__(self):
        super().__init__()
        self.s4 = nn.Sequential(*cbr(3, 16, s=2), *cbr(16, 24, s=2), *cbr(24, 24))
        self.s8 = nn.Sequential(*cbr(24, 48, s=2), *cbr(48, 48))
        self.s16 = nn.Sequential(*cbr(48, 64, s=2), *cbr(64, 64))
        self.s32 = nn.Sequential(*cbr(64, 96, s=2), *cbr(96, 96))
        self.l16 = nn.Conv2d(64, 48, 1)
        self.l8 = nn.Conv2d(48, 48, 1)
        self.l4 = nn.Conv2d(24, 48, 1)
        self.t32 = nn.Conv2d(96, 48, 1)
        self.head = nn.Sequential(*cbr(48, 32), nn.Conv2d(32, 9, 1))
        self.head[-1].bias.data[0] = -4.0

    def forward(self, x):  # x: N,3,H,W in 0..1
        x = x * 2.0 - 1.0
        a = self.s4(x)
        b = self.s8(a)
        c = self.s16(b)
        d = self.s32(c)
        u = up2(self.t32(d)) + self.l16(c)
        u = up2(u) + self.l8(b)
        u = up2(u) + self.l4(a)
        return self.head(u)


def up2(x):
    """Nearest-neighbour upsampling by 2, written as two concatenations and reshapes: the same
    numbers as F.interpolate(mode="nearest"), but tract runs Concat and Reshape as plain copies,
    while its generic Resize (what F.interpolate exports as) took a third of the whole
    pipeline's time on 1280x720 frames (training/README.md)."""
    n, c, h, w = x.shape
    y = torch.cat([x.unsqueeze(-1), x.unsqueeze(-1)], -1).reshape(n, c, h, 2 * w)
    return torch.cat([y.unsqueeze(3), y.unsqueeze(3)], 3).reshape(n, c, 2 * h, 2 * w)


class DetectorExport(nn.Module):
    def __init__(self, det):
        super().__init__()
        self.det = det

    def forward(self, x):
        y = self.det(x)
        return torch.cat([torch.sigmoid(y[:, :1]), y[:, 1:]], dim=1)


OFFSET_SCALE = 64.0  # corner offsets are predicted in units of 64 input pixels

# ------------------------------------------------------------------------------------------------ data


def _init_worker(seed):
    ident = os.getpid()
    random.seed(seed + ident)
    np.random.seed((seed + ident) % 2**32)


_fonts = _bgs = _frames = None


def _setup(with_boxes: bool):
    global _fonts, _bgs, _frames
    if _fonts is None:
        _fonts = synth.available_fonts()
        frames = synth.load_frames(DASHCAM, split="train", scale=0.5)
        _bgs = synth.Backgrounds(frames)
        if with_boxes:
            # Scenes for the detector come with their plate boxes; plain backgrounds must not hold
            # unlabelled real plates, so the detector's Backgrounds has no frames.
            _frames = load_dashcam("train")
            _bgs = synth.Backgrounds([])


def load_dashcam(split: str, scale: float = 0.5):
    rows = synth.read_boxes(DASHCAM)
    by_image: dict[str, list] = {}
    for sp, name, x0, y0, x1, y1 in rows:
        if sp == split:
            by_image.setdefault(name, []).append((x0 * scale, y0 * scale, x1 * scale, y1 * scale))
    import cv2
    out = []
    for name, boxes in sorted(by_image.items()):
        img = cv2.imread(os.path.join(DASHCAM, name))
        if img is None:
            continue
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        out.append((img, boxes))
    return out


def _rec_chunk(args):
    seed, n, loose = args
    random.seed(seed)
    np.random.seed(seed % 2**32)
    _setup(False)
    imgs = np.zeros((n, synth.REC_H, synth.REC_W), np.uint8)
    labels = []
    for i in range(n):
        imgs[i], lab = synth.rec_sample(_fonts, _bgs, loose)
        labels.append(lab)
    return imgs, labels


def _det_chunk(args):
    seed, n = args
    random.seed(seed)
    np.random.seed(seed % 2**32)
    _setup(True)
    imgs = np.zeros((n, synth.DET, synth.DET, 3), np.uint8)
    quads = []
    for i in range(n):
        imgs[i], q = synth.det_sample(_fonts, _frames, _bgs)
        quads.append(q)
    return imgs, quads


def generate(kind: str, n: int, workers: int):
    """kind: rec, tune (recogniser crops with looser crop geometry, other seeds) or det."""
    chunk = 500
    offset = {"rec": 0, "det": 1_000_003, "tune": 2_000_003}[kind]
    jobs = [(SEED * 7 + offset + i, min(chunk, n - i * chunk)) for i in range((n + chunk - 1) // chunk)]
    if kind != "det":
        jobs = [(seed, m, kind == "tune") for seed, m in jobs]
    t = time.time()
    fn = _det_chunk if kind == "det" else _rec_chunk
    with Pool(workers) as pool:
        parts = pool.map(fn, jobs)
    imgs = np.concatenate([p[0] for p in parts])
    labels = [l for p in parts for l in p[1]]
    os.makedirs(CACHE, exist_ok=True)
    if kind != "det":
        np.savez(os.path.join(CACHE, f"{kind}.npz"), imgs=imgs, labels=np.array(labels))
    else:
        flat = []
        for i, qs in enumerate(labels):
            for q in qs:
                if q is None:
                    flat.append([i, 0] + [0.0] * 8)
                else:
                    flat.append([i, 1] + q.reshape(-1).tolist())
        np.savez(os.path.join(CACHE, "det.npz"), imgs=imgs, quads=np.array(flat, np.float32).reshape(-1, 10))
    print(f"{kind}: {n} samples in {time.time() - t:.0f} s", flush=True)


# ------------------------------------------------------------------------------------------- training


def encode(label: str):
    return [synth.ALPHABET.index(c) + 1 for c in label]


def greedy(logits: torch.Tensor) -> list[str]:
    best = logits.argmax(1).tolist()
    out = []
    for seq in best:
        s, prev = [], 0
        for k in seq:
            if k != prev and k != 0:
                s.append(synth.ALPHABET[k - 1])
            prev = k
        out.append("".join(s))
    return out


def update(model, opt, sched, loss):
    """One optimiser step with gradient clipping, then the learning-rate schedule."""
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    sched.step()


def train_rec(epochs: int, batch: int, threads: int, tune: bool = False):
    """From scratch on rec.npz; with `tune`, continues from rec.pt on tune.npz at a lower rate."""
    torch.manual_seed(SEED + (1 if tune else 0))
    torch.set_num_threads(threads)
    d = np.load(os.path.join(CACHE, "tune.npz" if tune else "rec.npz"))
    imgs, labels = d["imgs"], [str(x) for x in d["labels"]]
    n_val = min(2000, len(labels) // 10)
    val_x = torch.from_numpy(imgs[:n_val]).float().div(255).unsqueeze(1)
    val_y = labels[:n_val]
    tr_x, tr_y = imgs[n_val:], labels[n_val:]
    model = Recogniser()
    if tune:
        model.load_state_dict(torch.load(os.path.join(CACHE, "rec.pt"), map_location="cpu"))
    model.to(DEVICE)
    val_x = val_x.to(DEVICE)
    steps = epochs * (len(tr_y) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3 if tune else 3e-3, total_steps=steps,
                                                pct_start=0.15)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    step, t0 = 0, time.time()
    for ep in range(epochs):
        model.train()
        perm = np.random.RandomState(SEED + ep).permutation(len(tr_y))
        for b in range(len(tr_y) // batch):
            idx = perm[b * batch:(b + 1) * batch]
            x = torch.from_numpy(tr_x[idx]).to(DEVICE).float().div(255).unsqueeze(1)
            targets = [encode(tr_y[i]) for i in idx]
            flat = torch.tensor([t for ts in targets for t in ts], dtype=torch.long)
            lens = torch.tensor([len(t) for t in targets], dtype=torch.long)
            logits = model(x)  # N, C, T
            lp = logits.permute(2, 0, 1).log_softmax(2)
            loss = ctc(lp, flat.to(DEVICE), torch.full((len(idx),), lp.shape[0], dtype=torch.long, device=DEVICE),
                       lens.to(DEVICE))
            update(model, opt, sched, loss)
            step += 1
            if step % 200 == 0:
                print(f"rec step {step}/{steps} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
        model.eval()
        with torch.no_grad():
            pred = []
            for i in range(0, n_val, 500):
                pred += greedy(model(val_x[i:i + 500]))
        acc = sum(p == t for p, t in zip(pred, val_y)) / n_val
        print(f"rec epoch {ep + 1}: synthetic val exact {acc:.4f}", flush=True)
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, os.path.join(CACHE, "rec.pt"))


def det_targets(quads_by_img, idxs, size: int):
    """Heat (focal-loss target), ignore mask, corner offsets and their weights at stride 4."""
    g = size // 4
    heat = np.zeros((len(idxs), 1, g, g), np.float32)
    ignore = np.zeros((len(idxs), 1, g, g), np.float32)
    off = np.zeros((len(idxs), 8, g, g), np.float32)
    wgt = np.zeros((len(idxs), 1, g, g), np.float32)
    ys, xs = np.mgrid[0:g, 0:g].astype(np.float32)
    cxs, cys = xs * 4 + 1.5, ys * 4 + 1.5
    for n, i in enumerate(idxs):
        for row in quads_by_img.get(int(i), []):
            q = row[2:].reshape(4, 2)
            x0, y0 = q.min(0)
            x1, y1 = q.max(0)
            if row[1] == 0:
                ignore[n, 0, max(0, int(y0 // 4)):int(y1 // 4) + 1, max(0, int(x0 // 4)):int(x1 // 4) + 1] = 1
                continue
            c = q.mean(0)
            w, h = max(x1 - x0, 2), max(y1 - y0, 2)
            sx, sy = max(0.6, 0.54 * w / 4 / 6 * 2), max(0.6, 0.54 * h / 4 / 6 * 2)
            gx, gy = (c[0] - 1.5) / 4, (c[1] - 1.5) / 4
            gauss = np.exp(-((xs - gx) ** 2 / (2 * sx ** 2) + (ys - gy) ** 2 / (2 * sy ** 2)))
            ix, iy = int(round(gx)), int(round(gy))
            if 0 <= ix < g and 0 <= iy < g:
                gauss[iy, ix] = 1.0
            heat[n, 0] = np.maximum(heat[n, 0], gauss)
            m = gauss > 0.3
            for k in range(4):
                off[n, 2 * k][m] = (q[k, 0] - cxs[m]) / OFFSET_SCALE
                off[n, 2 * k + 1][m] = (q[k, 1] - cys[m]) / OFFSET_SCALE
            wgt[n, 0][m] = np.maximum(wgt[n, 0][m], gauss[m])
    return heat, ignore, off, wgt


def focal(pred_logit, heat, ignore):
    p = torch.sigmoid(pred_logit).clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    neg = (1 - pos) * (1 - ignore)
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * neg
    npos = pos.sum().clamp(min=1)
    return -(pos_loss.sum() + neg_loss.sum()) / npos


def train_det(epochs: int, batch: int, threads: int):
    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    d = np.load(os.path.join(CACHE, "det.npz"))
    imgs, quads = d["imgs"], d["quads"]
    by_img: dict[int, list] = {}
    for row in quads:
        by_img.setdefault(int(row[0]), []).append(row)
    model = Detector()
    n = len(imgs)
    steps = epochs * (n // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    step, t0 = 0, time.time()
    for ep in range(epochs):
        model.train()
        perm = np.random.RandomState(SEED + ep).permutation(n)
        for b in range(n // batch):
            idx = perm[b * batch:(b + 1) * batch]
            x = torch.from_numpy(imgs[idx]).permute(0, 3, 1, 2).float().div(255)
            heat, ign, off, wgt = (torch.from_numpy(a) for a in det_targets(by_img, idx, synth.DET))
            y = model(x)
            l_heat = focal(y[:, :1], heat, ign)
            l_off = (F.l1_loss(y[:, 1:], off, reduction="none") * wgt).sum() / wgt.sum().clamp(min=1) / 8
            loss = l_heat + 4.0 * l_off
            update(model, opt, sched, loss)
            step += 1
            if step % 100 == 0:
                print(f"det step {step}/{steps} heat {l_heat.item():.3f} off {l_off.item():.4f} "
                      f"{time.time() - t0:.0f}s", flush=True)
        torch.save(model.state_dict(), os.path.join(CACHE, "det.pt"))
        print(f"det epoch {ep + 1} done", flush=True)
    model.eval()
    print(f"det: dashcam validation recall (IoU>=0.5) {dashcam_recall(model):.3f}", flush=True)


def decode_det(out: np.ndarray, thresh=0.3):
    """Python twin of the Rust decoder (crates/recognize/src/detect.rs), for validation only."""
    heat = out[0]
    g_h, g_w = heat.shape
    found = []
    for y in range(g_h):
        for x in range(g_w):
            v = heat[y, x]
            if v < thresh:
                continue
            win = heat[max(0, y - 1):y + 2, max(0, x - 1):x + 2]
            if v < win.max():
                continue
            cx, cy = x * 4 + 1.5, y * 4 + 1.5
            q = out[1:, y, x].reshape(4, 2) * OFFSET_SCALE + np.array([cx, cy])
            found.append((float(v), q))
    return found


def dashcam_recall(model) -> float:
    val = load_dashcam("valid", scale=1.0)
    import cv2
    hit = total = 0
    for img, boxes in val:
        h, w = img.shape[:2]
        size = 640
        s = size / max(h, w)
        small = cv2.resize(img, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
        canvas = np.full((size, size, 3), 114, np.uint8)
        canvas[: small.shape[0], : small.shape[1]] = small
        with torch.no_grad():
            out = DetectorExport(model)(torch.from_numpy(canvas).permute(2, 0, 1)[None].float().div(255))[0].numpy()
        dets = decode_det(out)
        for b in boxes:
            total += 1
            if any(iou(b, [q[:, 0].min() / s, q[:, 1].min() / s, q[:, 0].max() / s, q[:, 1].max() / s]) >= 0.5
                   for _, q in dets):
                hit += 1
    return hit / max(1, total)


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def export():
    os.makedirs(MODELS, exist_ok=True)
    rec = Recogniser()
    rec.load_state_dict(torch.load(os.path.join(CACHE, "rec.pt")))
    rec.eval()
    torch.onnx.export(rec, torch.zeros(1, 1, synth.REC_H, synth.REC_W), os.path.join(MODELS, "recognizer.onnx"),
                      input_names=["crop"], output_names=["logits"], opset_version=13,
                      dynamic_axes={"crop": {0: "n"}, "logits": {0: "n"}})
    det = Detector()
    det.load_state_dict(torch.load(os.path.join(CACHE, "det.pt")))
    det.eval()
    torch.onnx.export(DetectorExport(det), torch.zeros(1, 3, 320, 320), os.path.join(MODELS, "detector.onnx"),
                      input_names=["frame"], output_names=["map"], opset_version=13,
                      dynamic_axes={"frame": {0: "n", 2: "h", 3: "w"}, "map": {0: "n", 2: "gh", 3: "gw"}})
    for f in ("recognizer.onnx", "detector.onnx"):
        print(f, os.path.getsize(os.path.join(MODELS, f)), "bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["all", "data-rec", "data-det", "data-tune", "rec", "det", "tune", "export"])
    ap.add_argument("--rec-samples", type=int, default=150_000)
    ap.add_argument("--tune-samples", type=int, default=200_000)
    ap.add_argument("--tune-epochs", type=int, default=4)
    ap.add_argument("--det-samples", type=int, default=12_000)
    ap.add_argument("--rec-epochs", type=int, default=8)
    ap.add_argument("--det-epochs", type=int, default=6)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    random.seed(SEED)
    np.random.seed(SEED)
    if a.step in ("all", "data-rec"):
        generate("rec", a.rec_samples, a.workers)
    if a.step in ("all", "data-det"):
        generate("det", a.det_samples, a.workers)
    if a.step in ("all", "data-tune"):
        generate("tune", a.tune_samples, a.workers)
    if a.step in ("all", "rec"):
        train_rec(a.rec_epochs, 128, a.threads)
    if a.step in ("all", "tune"):
        train_rec(a.tune_epochs, 128, a.threads, tune=True)
    if a.step in ("all", "det"):
        train_det(a.det_epochs, 16, a.threads)
    if a.step in ("all", "export"):
        export()


if __name__ == "__main__":
    main()
