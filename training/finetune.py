"""Fine-tuning the committed plate models on real plates (issue 16).

    python3 training/finetune.py init             # committed ONNX -> PyTorch weights (cache/ft/)
    python3 training/finetune.py data-real        # labelled real crops (train, augmented; dev, plain)
    python3 training/finetune.py data-syn         # synthetic crops to mix in (train.py's tune kind)
    python3 training/finetune.py rec              # recogniser fine-tune; resumable; keeps the best
    python3 training/finetune.py data-det         # detector scenes: openimages train + dash-cam + synthetic
    python3 training/finetune.py det              # detector fine-tune; resumable; keeps the best
    python3 training/finetune.py export [--rec-weights F] [--det-weights F]  # chosen weights -> crates/recognize/models/

Everything goes to `training/cache/ft/` (ignored by git; `SIGHTLINE_TRAIN_CACHE` moves the cache).
The models start from the committed ONNX files, whose batch norms the export folded into the
convolutions: `init` loads those weights into train.py's networks with identity batch norms, and
the fine-tunes keep batch-norm statistics frozen (affine parameters still learn), so the starting
point is exactly the committed model (checked: re-exporting gives the same initialisers).

Real data: `../shared/datasets/openimages-plates` (CC BY, see training/README.md) with the text
labels in `training/labels/openimages-plates.tsv`. Only the `train` split is trained on; the `dev`
split (the dataset's `valid` images) selects the epoch. openalpr-br is never read here.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from multiprocessing import Pool

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import labels as labelfile  # noqa: E402
import synth  # noqa: E402
import train  # noqa: E402

FT = os.path.join(train.CACHE, "ft")
OPENIMAGES = os.environ.get(
    "SIGHTLINE_OPENIMAGES", os.path.join(train.ROOT, "..", "shared", "datasets", "openimages-plates")
)
LABELS = os.path.join(HERE, "labels", "openimages-plates.tsv")
SEED = train.SEED + 16
# The margins of the first crop the Rust pipeline reads per plate (CROP_MARGINS[0] in lib.rs).
INFER_MARGIN = (0.03, 0.06)

# ------------------------------------------------------------------------------------------- weights


def _onnx_convs(path):
    """(weight, bias) of every Conv node in graph order, as numpy arrays."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    consts = {}
    for n in m.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    consts[n.output[0]] = numpy_helper.to_array(a.t)
    out = []
    for n in m.graph.node:
        if n.op_type == "Conv":
            w = init.get(n.input[1], consts.get(n.input[1]))
            b = init.get(n.input[2], consts.get(n.input[2])) if len(n.input) > 2 else None
            out.append((n.input[1], w, b))
    return out


def load_onnx_into(model, path):
    """The ONNX weights into `model` (batch norms become identities carrying the folded bias)."""
    convs = _onnx_convs(path)
    by_name = {name: (w, b) for name, w, b in convs}
    named = {n: m for n, m in model.named_modules()}
    done = set()
    # Named (unfolded) convolutions keep their names in the ONNX file.
    for name, (w, b) in by_name.items():
        mod_name = name[: -len(".weight")]
        if mod_name.startswith("det."):  # exported through train.DetectorExport
            mod_name = mod_name[len("det."):]
        if name.endswith(".weight") and mod_name in named:
            mod = named[mod_name]
            mod.weight.data = torch.from_numpy(w.copy())
            mod.bias.data = torch.from_numpy(b.copy())
            done.add(name)
    rest = [c for c in convs if c[0] not in done]
    mods = list(model.modules())
    folded = []
    for i, m in enumerate(mods):
        if isinstance(m, nn.Conv2d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
            folded.append((m, mods[i + 1]))
    assert len(folded) == len(rest), (len(folded), len(rest))
    for (conv, bn), (name, w, b) in zip(folded, rest):
        assert tuple(conv.weight.shape) == tuple(w.shape), (name, conv.weight.shape, w.shape)
        conv.weight.data = torch.from_numpy(w.copy())
        bn.weight.data.fill_(1.0)
        bn.bias.data = torch.from_numpy(b.copy())
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)
    return model


def freeze_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def cmd_init(a):
    os.makedirs(FT, exist_ok=True)
    for kind, cls in (("recognizer", train.Recogniser), ("detector", train.Detector)):
        src = os.path.join(train.MODELS, f"{kind}.onnx")
        model = load_onnx_into(cls(), src)
        model.eval()
        torch.save(model.state_dict(), os.path.join(FT, f"{kind[:3]}0.pt"))
        # Round trip: exporting these weights must give the committed initialisers back.
        tmp = os.path.join(FT, f"{kind}.roundtrip.onnx")
        _export(kind, model, tmp)
        a_, b_ = _onnx_convs(src), _onnx_convs(tmp)
        worst = max(float(np.abs(x[1] - y[1]).max()) + float(np.abs(x[2] - y[2]).max()) for x, y in zip(a_, b_))
        print(f"{kind}: {len(a_)} convolutions, round-trip max difference {worst:.2e}", flush=True)
        assert worst < 1e-4


def _export(kind, model, path):
    model.eval()
    if kind == "recognizer":
        torch.onnx.export(model, torch.zeros(1, 1, synth.REC_H, synth.REC_W), path,
                          input_names=["crop"], output_names=["logits"], opset_version=13,
                          dynamic_axes={"crop": {0: "n"}, "logits": {0: "n"}})
    else:
        torch.onnx.export(train.DetectorExport(model), torch.zeros(1, 3, 320, 320), path,
                          input_names=["frame"], output_names=["map"], opset_version=13,
                          dynamic_axes={"frame": {0: "n", 2: "h", 3: "w"}, "map": {0: "n", 2: "gh", 3: "gw"}})


# ---------------------------------------------------------------------------------------- real crops


def _box_quad(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def real_crop(img, box, augment: bool, rng: random.Random):
    """A grey REC_H x REC_W crop of a labelled box: plain (the inference crop's first margins) or
    augmented (box jitter as the detector's errors, margins, blur, resolution, light, JPEG)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if not augment:
        crop = synth.rectify(img, _box_quad(x0, y0, x1, y1), synth.REC_W, synth.REC_H, *INFER_MARGIN)
        return cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    x0 += rng.uniform(-0.06, 0.06) * w
    x1 += rng.uniform(-0.06, 0.06) * w
    y0 += rng.uniform(-0.12, 0.12) * h
    y1 += rng.uniform(-0.12, 0.12) * h
    q = _box_quad(x0, y0, x1, y1)
    if rng.random() < 0.3:  # a slightly rotated outline, as the detector's corners can be
        c = q.mean(0)
        t = np.deg2rad(rng.uniform(-4, 4))
        r = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], np.float32)
        q = (q - c) @ r.T + c
    src = img
    if rng.random() < 0.3 and w > 70:  # lower resolution: as if the plate were 45-90 px wide
        s = rng.uniform(45, min(90, w)) / w
        small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        src = cv2.resize(small, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    crop = synth.rectify(src, q, synth.REC_W, synth.REC_H, rng.uniform(-0.02, 0.1), rng.uniform(-0.05, 0.15))
    g = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    if rng.random() < 0.25:
        g = cv2.GaussianBlur(g, (0, 0), rng.uniform(0.4, 1.2))
    g = (g - 128) * rng.uniform(0.6, 1.3) + 128 + rng.uniform(-35, 35)
    if rng.random() < 0.3:
        g += np.random.RandomState(rng.randrange(2**31)).normal(0, rng.uniform(2, 8), g.shape)
    g = np.clip(g, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, enc = cv2.imencode(".jpg", g, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(30, 85)])
        g = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    if rng.random() < 0.05:
        g = 255 - g
    return g


def cmd_data_real(a):
    os.makedirs(FT, exist_ok=True)
    items = [x for x in labelfile.load(LABELS) if x.legible]
    rng = random.Random(SEED)
    by_split = {"train": ([], []), "dev": ([], [])}
    cache = {}
    for x in items:
        if x.image not in cache:
            cache.clear()
            im = cv2.imread(os.path.join(OPENIMAGES, x.image))
            cache[x.image] = cv2.cvtColor(im, cv2.COLOR_BGR2RGB)
        img = cache[x.image]
        xs, ys = by_split[x.split]
        if x.split == "dev":
            xs.append(real_crop(img, x.box, False, rng))
            ys.append(x.text)
        else:
            xs.append(real_crop(img, x.box, False, rng))
            ys.append(x.text)
            for _ in range(a.copies - 1):
                xs.append(real_crop(img, x.box, True, rng))
                ys.append(x.text)
    for split, (xs, ys) in by_split.items():
        np.savez(os.path.join(FT, f"real_{split}.npz"), imgs=np.stack(xs), labels=np.array(ys))
        print(f"real {split}: {len(ys)} crops", flush=True)


def cmd_data_syn(a):
    os.makedirs(FT, exist_ok=True)
    chunk = 500
    jobs = [(SEED * 11 + i, min(chunk, a.syn - i * chunk), True) for i in range((a.syn + chunk - 1) // chunk)]
    t = time.time()
    with Pool(a.workers, initializer=train._init_worker, initargs=(SEED,)) as pool:
        parts = pool.map(train._rec_chunk, jobs)
    imgs = np.concatenate([p[0] for p in parts])
    labs = [l for p in parts for l in p[1]]
    np.savez(os.path.join(FT, "syn.npz"), imgs=imgs, labels=np.array(labs))
    print(f"synthetic: {len(labs)} crops in {time.time() - t:.0f} s", flush=True)


# --------------------------------------------------------------------------------------- recogniser


def rec_exact(model, imgs, labs, batch=500):
    model.eval()
    pred = []
    with torch.no_grad():
        for i in range(0, len(labs), batch):
            x = torch.from_numpy(imgs[i:i + batch]).float().div(255).unsqueeze(1)
            pred += train.greedy(model(x))
    return sum(p == t for p, t in zip(pred, labs)) / max(1, len(labs)), pred


def cmd_rec(a):
    torch.manual_seed(SEED)
    torch.set_num_threads(a.threads)
    real = np.load(os.path.join(FT, "real_train.npz"))
    dev = np.load(os.path.join(FT, "real_dev.npz"))
    syn = np.load(os.path.join(FT, "syn.npz"))
    dev_x, dev_y = dev["imgs"], [str(s) for s in dev["labels"]]
    s_x, s_y = syn["imgs"], [str(s) for s in syn["labels"]]
    n_sval = 1000
    sval_x, sval_y = s_x[:n_sval], s_y[:n_sval]
    s_x, s_y = s_x[n_sval:], s_y[n_sval:]
    r_x, r_y = real["imgs"], [str(s) for s in real["labels"]]
    # Each epoch: every real crop once and as many synthetic ones times `syn_ratio`.
    n_syn = min(len(s_y), int(len(r_y) * a.syn_ratio))
    per_epoch = len(r_y) + n_syn
    steps = a.epochs * (per_epoch // a.batch)
    model = train.Recogniser()
    model.load_state_dict(torch.load(os.path.join(FT, a.init or "rec0.pt")))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=0.1)
    ckpt = os.path.join(FT, f"rec_{a.tag}.ckpt")
    start, best = 0, (-1.0, -1)
    if os.path.exists(ckpt):
        c = torch.load(ckpt)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        sched.load_state_dict(c["sched"])
        start, best = c["epoch"], tuple(c["best"])
        print(f"resuming after epoch {start}", flush=True)
    else:
        acc0, _ = rec_exact(model, dev_x, dev_y)
        sacc0, _ = rec_exact(model, sval_x, sval_y)
        print(f"start: real dev exact (greedy, no formats) {acc0:.4f}, synthetic val {sacc0:.4f}", flush=True)
        best = (acc0, 0)
        torch.save(model.state_dict(), os.path.join(FT, f"rec_{a.tag}_best.pt"))
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    t0 = time.time()
    for ep in range(start, a.epochs):
        model.train()
        freeze_bn(model)
        rs = np.random.RandomState(SEED + ep)
        syn_idx = rs.choice(len(s_y), n_syn, replace=False)
        order = rs.permutation(per_epoch)
        for b in range(per_epoch // a.batch):
            idx = order[b * a.batch:(b + 1) * a.batch]
            xs, ys = [], []
            for i in idx:
                if i < len(r_y):
                    xs.append(r_x[i]); ys.append(r_y[i])
                else:
                    j = syn_idx[i - len(r_y)]
                    xs.append(s_x[j]); ys.append(s_y[j])
            x = torch.from_numpy(np.stack(xs)).float().div(255).unsqueeze(1)
            targets = [train.encode(y) for y in ys]
            flat = torch.tensor([t for ts in targets for t in ts], dtype=torch.long)
            lens = torch.tensor([len(t) for t in targets], dtype=torch.long)
            lp = model(x).permute(2, 0, 1).log_softmax(2)
            loss = ctc(lp, flat, torch.full((len(idx),), lp.shape[0], dtype=torch.long), lens)
            train.update(model, opt, sched, loss)
            if b % 100 == 0:
                print(f"rec ep {ep + 1} batch {b}/{per_epoch // a.batch} loss {loss.item():.3f} "
                      f"{time.time() - t0:.0f}s", flush=True)
        acc, _ = rec_exact(model, dev_x, dev_y)
        sacc, _ = rec_exact(model, sval_x, sval_y)
        print(f"rec epoch {ep + 1}: real dev exact {acc:.4f}, synthetic val {sacc:.4f}", flush=True)
        if acc > best[0]:
            best = (acc, ep + 1)
            torch.save(model.state_dict(), os.path.join(FT, f"rec_{a.tag}_best.pt"))
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": ep + 1, "best": list(best)}, ckpt)
    print(f"best: real dev exact {best[0]:.4f} after epoch {best[1]} -> rec_{a.tag}_best.pt", flush=True)


# ----------------------------------------------------------------------------------------- detector


def read_openimages(split: str, scale: float = 1.0):
    by_image: dict[str, list] = {}
    with open(os.path.join(OPENIMAGES, "boxes.csv")) as f:
        for r in csv.DictReader(f):
            if r["split"] == split:
                by_image.setdefault(r["image"], []).append(
                    tuple(float(r[k]) * scale for k in ("xmin", "ymin", "xmax", "ymax")))
    out = []
    for name, boxes in sorted(by_image.items()):
        img = cv2.imread(os.path.join(OPENIMAGES, name))
        if img is None:
            continue
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        if scale != 1.0:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        out.append((img, boxes))
    return out


_det_frames = None


def _det_chunk(args):
    seed, n, share_oi = args
    global _det_frames
    random.seed(seed)
    np.random.seed(seed % 2**32)
    train._setup(True)
    if _det_frames is None:
        _det_frames = read_openimages("train")
    imgs = np.zeros((n, synth.DET, synth.DET, 3), np.uint8)
    quads = []
    for i in range(n):
        frames = _det_frames if random.random() < share_oi else train._frames
        imgs[i], q = synth.det_sample(train._fonts, frames, train._bgs)
        quads.append(q)
    return imgs, quads


def cmd_data_det(a):
    os.makedirs(FT, exist_ok=True)
    chunk = 250
    jobs = [(SEED * 13 + i, min(chunk, a.det - i * chunk), a.share_oi) for i in range((a.det + chunk - 1) // chunk)]
    t = time.time()
    with Pool(a.workers) as pool:
        parts = pool.map(_det_chunk, jobs)
    imgs = np.concatenate([p[0] for p in parts])
    flat = []
    for i, qs in enumerate(q for p in parts for q in p[1]):
        for q in qs:
            flat.append([i, 0] + [0.0] * 8 if q is None else [i, 1] + q.reshape(-1).tolist())
    np.savez(os.path.join(FT, "det.npz"), imgs=imgs, quads=np.array(flat, np.float32).reshape(-1, 10))
    print(f"detector scenes: {len(imgs)} in {time.time() - t:.0f} s", flush=True)


def det_recall(model, frames, size=320):
    """Recall (IoU >= 0.5) by the issue's width bands, letterboxed to `size` as Sightline runs it."""
    bands = [0, 30, 40, 80]
    hit, tot = [0] * 4, [0] * 4
    model.eval()
    exp = train.DetectorExport(model)
    for img, boxes in frames:
        h, w = img.shape[:2]
        s = size / max(h, w)
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        cw, ch = (nw + 31) // 32 * 32, (nh + 31) // 32 * 32
        small = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
        canvas = np.full((ch, cw, 3), 114, np.uint8)
        canvas[:nh, :nw] = small
        with torch.no_grad():
            out = exp(torch.from_numpy(canvas).permute(2, 0, 1)[None].float().div(255))[0].numpy()
        dets = train.decode_det(out)
        for b in boxes:
            k = max(i for i, lo in enumerate(bands) if b[2] - b[0] >= lo)
            tot[k] += 1
            if any(train.iou(b, [q[:, 0].min() / s, q[:, 1].min() / s, q[:, 0].max() / s, q[:, 1].max() / s]) >= 0.5
                   for _, q in dets):
                hit[k] += 1
    return hit, tot


def _fmt_recall(hit, tot):
    parts = [f"{n} {h}/{t}" for n, h, t in zip(["<30", "30-40", "40-80", ">=80"], hit, tot)]
    big = sum(hit[2:]) / max(1, sum(tot[2:]))
    return f"all {sum(hit) / max(1, sum(tot)):.3f}, >=40 px {big:.3f} ({'; '.join(parts)})"


def cmd_det(a):
    torch.manual_seed(SEED)
    torch.set_num_threads(a.threads)
    d = np.load(os.path.join(FT, "det.npz"))
    imgs, quads = d["imgs"], d["quads"]
    by_img: dict[int, list] = {}
    for row in quads:
        by_img.setdefault(int(row[0]), []).append(row)
    val = read_openimages("valid")
    dash = [(img, [tuple(b) for b in boxes]) for img, boxes in train.load_dashcam("valid", scale=1.0)]
    model = train.Detector()
    model.load_state_dict(torch.load(os.path.join(FT, a.init or "det0.pt")))
    n = min(len(imgs), a.limit or len(imgs))
    steps = a.epochs * (n // a.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=0.1)
    ckpt = os.path.join(FT, f"det_{a.tag}.ckpt")
    if a.no_val:  # no Python validation (slow on a busy machine): measure the export with `sightline eval`
        val = dash = []
    start, best = 0, (-1.0, 0)
    if os.path.exists(ckpt):
        c = torch.load(ckpt)
        model.load_state_dict(c["model"]); opt.load_state_dict(c["opt"]); sched.load_state_dict(c["sched"])
        start, best = c["epoch"], tuple(c["best"])
        print(f"resuming after epoch {start}", flush=True)
    elif val:
        h, t = det_recall(model, val)
        dh, dt = det_recall(model, dash, size=320)
        print(f"start: openimages valid {_fmt_recall(h, t)}; dash-cam valid {sum(dh) / sum(dt):.3f}", flush=True)
        best = (sum(h[2:]) / max(1, sum(t[2:])), 0)
        torch.save(model.state_dict(), os.path.join(FT, f"det_{a.tag}_best.pt"))
    t0 = time.time()
    for ep in range(start, a.epochs):
        model.train()
        freeze_bn(model)
        perm = np.random.RandomState(SEED + ep).permutation(n)
        for b in range(n // a.batch):
            idx = perm[b * a.batch:(b + 1) * a.batch]
            x = torch.from_numpy(imgs[idx]).permute(0, 3, 1, 2).float().div(255)
            heat, ign, off, wgt = (torch.from_numpy(v) for v in train.det_targets(by_img, idx, synth.DET))
            y = model(x)
            l_heat = train.focal(y[:, :1], heat, ign)
            l_off = (F.l1_loss(y[:, 1:], off, reduction="none") * wgt).sum() / wgt.sum().clamp(min=1) / 8
            loss = l_heat + 4.0 * l_off
            train.update(model, opt, sched, loss)
            if b % 50 == 0:
                print(f"det ep {ep + 1} batch {b}/{n // a.batch} heat {l_heat.item():.3f} off {l_off.item():.4f} "
                      f"{time.time() - t0:.0f}s", flush=True)
        if not val:
            best = (-1.0, ep + 1)
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "epoch": ep + 1, "best": list(best)}, ckpt)
            continue
        h, t = det_recall(model, val)
        dh, dt = det_recall(model, dash, size=320)
        big = sum(h[2:]) / max(1, sum(t[2:]))
        print(f"det epoch {ep + 1}: openimages valid {_fmt_recall(h, t)}; dash-cam valid {sum(dh) / sum(dt):.3f}",
              flush=True)
        if big > best[0]:
            best = (big, ep + 1)
            torch.save(model.state_dict(), os.path.join(FT, f"det_{a.tag}_best.pt"))
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": ep + 1, "best": list(best)}, ckpt)
    print(f"best: openimages valid recall >=40 px {best[0]:.4f} after epoch {best[1]}", flush=True)


def cmd_export(a):
    for kind, flag, cls in (("recognizer", a.rec_weights, train.Recogniser),
                            ("detector", a.det_weights, train.Detector)):
        if not flag:
            continue
        model = cls()
        state = torch.load(os.path.join(FT, flag))
        model.load_state_dict(state["model"] if flag.endswith(".ckpt") else state)  # a checkpoint: its last epoch
        path = os.path.join(a.out or train.MODELS, f"{kind}.onnx")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _export(kind, model, path)
        print(path, os.path.getsize(path), "bytes")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["init", "data-real", "data-syn", "rec", "data-det", "det", "export"])
    p.add_argument("--copies", type=int, default=30, help="crops per real training plate (1 plain, rest augmented)")
    p.add_argument("--syn", type=int, default=30_000, help="synthetic crops to generate")
    p.add_argument("--syn-ratio", type=float, default=1.0, help="synthetic crops per real crop in an epoch")
    p.add_argument("--det", type=int, default=6_000, help="detector scenes to generate")
    p.add_argument("--share-oi", type=float, default=0.5, help="share of real scenes from openimages")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--tag", default="a", help="names this run's checkpoints")
    p.add_argument("--limit", type=int, help="det: train on the first N scenes only")
    p.add_argument("--no-val", action="store_true", help="det: skip the Python validation")
    p.add_argument("--init", help="rec/det: start from this weights file in cache/ft (default: the committed model)")
    p.add_argument("--rec-weights", help="export: recogniser weights file in cache/ft")
    p.add_argument("--det-weights", help="export: detector weights file in cache/ft")
    p.add_argument("--out", help="export: folder (default crates/recognize/models)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    random.seed(SEED)
    np.random.seed(SEED)
    {"init": cmd_init, "data-real": cmd_data_real, "data-syn": cmd_data_syn, "rec": cmd_rec,
     "data-det": cmd_data_det, "det": cmd_det, "export": cmd_export}[a.step](a)


if __name__ == "__main__":
    main()
