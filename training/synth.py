"""Synthetic licence plates: layouts, fonts, augmentation, scene composition.

Everything here is generated from fonts shipped by Debian packages (see training/README.md) and, for the
detector, real dash-camera frames from ../shared/datasets/ro-dashcam-boxes (MIT licence). No evaluation
photo is read here.
"""

from __future__ import annotations

import csv
import math
import os
import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"

FONT_DIRS = [
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Medium.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Bold.otf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/opentype/b612/B612-Bold.otf",
    "/usr/share/fonts/opentype/b612/B612-Regular.otf",
    "/usr/share/fonts/opentype/cantarell/Cantarell-Bold.otf",
    "/usr/share/fonts/opentype/cantarell/Cantarell-Regular.otf",
    "/usr/share/fonts/truetype/comfortaa/Comfortaa-Bold.ttf",
    "/usr/share/fonts/truetype/lato/Lato-Bold.ttf",
    "/usr/share/fonts/truetype/lato/Lato-Semibold.ttf",
    "/usr/share/fonts/truetype/lato/Lato-Regular.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-Semibold.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-Regular.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-CondBold.ttf",
    "/usr/share/fonts/opentype/urw-base35/URWGothic-Demi.otf",
    "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
]
# DIN-like faces from npm (SIL OFL 1.1; training/package.json). DIN-style lettering (German
# FE-Schrift, Mercosur, Brazil's "Mandatory", many US states) is the most common on plates, so
# these are listed twice.
# Oswald, Saira Condensed and Antonio add the straight-sided, rounded-corner O and the narrow 8 of
# Brazil's grey plates, which the wider faces above confuse with D and B.
_NPM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_modules", "@fontsource")
for _fam, _weights in (("barlow", ("500", "600", "700")), ("barlow-semi-condensed", ("500", "600", "700")),
                       ("oswald", ("500", "600", "700")), ("saira-condensed", ("600", "700")),
                       ("antonio", ("600", "700"))):
    for _w in _weights:
        _f = os.path.join(_NPM, _fam, "files", f"{_fam}-latin-{_w}-normal.woff")
        FONT_DIRS += [_f, _f]
SMALL_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
]

US_STATES = [
    "CALIFORNIA", "TEXAS", "ILLINOIS", "NEW YORK", "FLORIDA", "OHIO", "GEORGIA", "ARIZONA", "NEVADA",
    "OREGON", "VIRGINIA", "WASHINGTON", "MAINE", "MINNESOTA", "ARKANSAS", "NEW HAMPSHIRE", "COLORADO",
    "MICHIGAN", "PENNSYLVANIA", "NEW JERSEY", "INDIANA", "KANSAS", "UTAH", "IOWA",
]
SLOGANS = [
    "Land of Lincoln", "dmv.ca.gov", "THE LONE STAR STATE", "Sunshine State", "Live Free or Die",
    "Empire State", "Vacationland", "10,000 Lakes", "The Natural State", "Grand Canyon State",
    "Evergreen State", "Great Lakes", "Virginia is for Lovers", "EXCELSIOR", "Birthplace of Aviation",
]
BR_CITIES = [
    "SP - SAO PAULO", "BA - SALVADOR", "BA - SIMOES FILHO", "RJ - RIO DE JANEIRO", "MG - BELO HORIZONTE",
    "PR - CURITIBA", "RS - PORTO ALEGRE", "PE - RECIFE", "CE - FORTALEZA", "SC - JOINVILLE",
    "GO - GOIANIA", "DF - BRASILIA", "BA - LAURO DE FREITAS", "SP - CAMPINAS", "BA - FEIRA DE SANTANA",
]
DE_DISTRICTS = ["M", "B", "HH", "K", "F", "S", "KA", "HD", "MZ", "LB", "BN", "DA", "WI", "N", "A", "ROW"]

_font_cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    key = (path, size)
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(path, size)
    return _font_cache[key]


def available_fonts() -> list[str]:
    found = [f for f in FONT_DIRS if os.path.exists(f)]
    if not found:
        raise SystemExit("no plate fonts found: run training/setup.sh (Debian font packages)")
    return found


# Characters that look alike in plate fonts (O/D/Q/0, 8/B, 1/I, M/N/W...) are drawn more often, so
# the recogniser sees more of the pairs it finds hardest.
CONFUSABLE = "0ODQUC8B1IJT5S2Z6GMNWVH"


def rand_from(chars: str, n: int) -> str:
    hard = [c for c in chars if c in CONFUSABLE]
    return "".join(random.choice(hard) if hard and random.random() < 0.3 else random.choice(chars)
                   for _ in range(n))


_ink_cache: dict[tuple[str, str], np.ndarray] = {}
STROKE: list = [None]  # set per plate by random_plate()


def text_mask(text: str, font_path: str, w: int, h: int) -> np.ndarray:
    """Renders `text` and stretches its ink box to exactly w x h; returns a float mask 0..1."""
    key = (text, font_path)
    arr = _ink_cache.get(key)
    if arr is None:
        arr = _ink(text, font_path)
        if len(text) <= 2 or len(_ink_cache) < 4000:
            _ink_cache[key] = arr
    if arr.size == 0:
        return np.zeros((h, w), np.float32)
    if STROKE[0] is not None:  # heavier or lighter strokes than the font's, per plate
        op, k = STROKE[0]
        kern = np.ones((k, k), np.uint8)
        arr = cv2.dilate(arr, kern) if op == "d" else cv2.erode(arr, kern)
    out = cv2.resize(arr, (max(1, w), max(1, h)), interpolation=cv2.INTER_AREA)
    return out.astype(np.float32) / 255.0


def _ink(text: str, font_path: str) -> np.ndarray:
    f = font(font_path, 96)
    l, t, r, b = f.getbbox(text)
    img = Image.new("L", (r - l + 8, b - t + 8), 0)
    ImageDraw.Draw(img).text((4 - l, 4 - t), text, font=f, fill=255)
    arr = np.asarray(img)
    ys, xs = np.nonzero(arr > 20)
    if len(xs) == 0:
        return np.zeros((0, 0), np.uint8)
    return arr[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]


def paint(canvas: np.ndarray, mask: np.ndarray, x: int, y: int, colour) -> None:
    h, w = mask.shape
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    m = mask[y0 - y: y1 - y, x0 - x: x1 - x, None]
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = (region * (1 - m) + np.array(colour, np.float32) * m).astype(np.uint8)


def border(canvas: np.ndarray, colour, thick: int, radius: int) -> None:
    h, w = canvas.shape[:2]
    img = Image.fromarray(canvas)
    ImageDraw.Draw(img).rounded_rectangle(
        (thick // 2, thick // 2, w - 1 - thick // 2, h - 1 - thick // 2), radius=radius, outline=tuple(colour),
        width=thick)
    canvas[:] = np.asarray(img)


def jitter_colour(c, amount=18):
    return tuple(int(np.clip(v + random.randint(-amount, amount), 0, 255)) for v in c)


def main_text(canvas, text, box, fonts, colour, spacing_jitter=True):
    """Draws `text` into box (x, y, w, h); spaces and dashes are drawn but not part of the label."""
    x, y, w, h = box
    f = random.choice(fonts)
    if spacing_jitter and random.random() < 0.5:
        # Character by character: even spacing, as on real plates.
        chars = list(text)
        units = [0.45 if c == " " else (0.5 if c in "-·" else 1.0) for c in chars]
        total = sum(units)
        gap = w * random.uniform(0.02, 0.05)
        unit_w = (w - gap * (len(chars) - 1)) / total
        cx = x
        for c, u in zip(chars, units):
            cw = unit_w * u
            if c == " ":
                pass
            elif c in "-·":
                bar_h = max(2, int(h * 0.1))
                paint(canvas, np.ones((bar_h, max(2, int(cw * 0.8))), np.float32), int(cx), int(y + h * 0.45),
                      colour)
            else:
                paint(canvas, text_mask(c, f, max(2, int(cw)), h), int(cx), y, colour)
            cx += cw + gap
    else:
        paint(canvas, text_mask(text, f, w, h), x, y, colour)


@dataclass
class Plate:
    image: np.ndarray  # RGB uint8
    label: str  # characters only, from ALPHABET
    style: str


def br_grey(fonts) -> Plate:
    letters, digits = rand_from(LETTERS, 3), rand_from(DIGITS, 4)
    W, H = 400, 130
    bg = jitter_colour((196, 198, 200), 22)
    c = np.full((H, W, 3), bg, np.uint8)
    ink = jitter_colour((25, 25, 25), 20)
    sep = random.choice(["-", "·", "·", " "])
    main_text(c, f"{letters}{sep}{digits}", (18, 34, 364, 82), fonts, ink)
    if random.random() < 0.9:
        city = random.choice(BR_CITIES)
        paint(c, text_mask(city, random.choice(SMALL_FONTS), random.randint(150, 260), 16),
              random.randint(70, 130), 10, ink)
    if random.random() < 0.6:  # screws
        for x in (random.randint(20, 60), random.randint(340, 380)):
            cv2.circle(c, (x, random.randint(14, 24)), random.randint(4, 8), jitter_colour((90, 90, 80), 40), -1)
    border(c, ink, random.randint(3, 6), 10)
    return Plate(c, letters + digits, "br_grey")


def br_mercosur(fonts) -> Plate:
    text = rand_from(LETTERS, 3) + random.choice(DIGITS) + random.choice(LETTERS) + rand_from(DIGITS, 2)
    W, H = 400, 130
    c = np.full((H, W, 3), jitter_colour((245, 245, 245), 10), np.uint8)
    c[0:30] = jitter_colour((20, 60, 160), 15)
    paint(c, text_mask("BRASIL", SMALL_FONTS[0], 90, 18), 155, 6, (250, 250, 250))
    ink = jitter_colour((20, 20, 20), 15)
    main_text(c, text, (20, 40, 360, 80), fonts, ink)
    border(c, ink, random.randint(2, 4), 8)
    return Plate(c, text, "br_mercosur")


def br_moto(fonts) -> Plate:
    mercosur = random.random() < 0.5
    top = rand_from(LETTERS, 3)
    bottom = (random.choice(DIGITS) + random.choice(LETTERS) + rand_from(DIGITS, 2)) if mercosur else rand_from(
        DIGITS, 4)
    W, H = 200, 170
    c = np.full((H, W, 3), (244, 244, 244) if mercosur else jitter_colour((196, 198, 200), 20), np.uint8)
    if mercosur:
        c[0:22] = (20, 60, 160)
    ink = jitter_colour((20, 20, 20), 15)
    main_text(c, top, (30, 28, 140, 62), fonts, ink, spacing_jitter=False)
    main_text(c, bottom, (14, 98, 172, 62), fonts, ink, spacing_jitter=False)
    border(c, ink, 4, 8)
    return Plate(c, top + bottom, "br_moto")


def de_plate(fonts) -> Plate:
    district = random.choice(DE_DISTRICTS) if random.random() < 0.7 else rand_from(LETTERS, random.randint(1, 3))
    letters = rand_from(LETTERS, random.randint(1, 2))
    digits = str(random.randint(1, 9999))
    suffix = random.choice(["", "", "", "", "E", "H"])
    W, H = 520, 110
    c = np.full((H, W, 3), jitter_colour((245, 245, 245), 10), np.uint8)
    c[:, 0:44] = jitter_colour((10, 50, 160), 10)
    cx, cy = 22, 30
    for k in range(12):
        a = 2 * math.pi * k / 12
        x, y = int(cx + 13 * math.cos(a)), int(cy + 13 * math.sin(a))
        c[y - 1: y + 2, x - 1: x + 2] = (240, 200, 20)
    paint(c, text_mask("D", SMALL_FONTS[0], 18, 26), 13, 68, (250, 250, 250))
    ink = jitter_colour((15, 15, 15), 10)
    # District, two seal places, letters, digits.
    left = f"{district}"
    right = f"{letters} {digits}{suffix}"
    n_left, n_right = len(left), len(right)
    unit = 440 / (n_left + n_right + 2.2)
    main_text(c, left, (58, 18, int(unit * n_left), 76), fonts, ink, spacing_jitter=False)
    sx = 58 + int(unit * n_left) + 8
    cv2.circle(c, (sx + int(unit * 0.5), 40), int(unit * 0.35), jitter_colour((60, 120, 60), 40), -1)
    cv2.circle(c, (sx + int(unit * 0.5), 76), int(unit * 0.3), jitter_colour((200, 60, 60), 40), -1)
    main_text(c, right, (sx + int(unit * 1.2), 18, min(W - 16 - sx - int(unit * 1.2), int(unit * n_right)), 76),
              fonts, ink)
    border(c, ink, 3, 8)
    return Plate(c, district + letters + digits + suffix, "de")


def eu_plate(fonts) -> Plate:
    kind = random.randint(0, 4)
    if kind == 0:  # Romania: B 123 ABC / CJ 12 ABC
        text = random.choice(["B", "CJ", "IF", "TM", "IS", "CT", "BV"]) + " " + str(random.randint(10, 999)) + " " + \
               rand_from(LETTERS, 3)
    elif kind == 1:  # France
        text = rand_from(LETTERS, 2) + "-" + rand_from(DIGITS, 3) + "-" + rand_from(LETTERS, 2)
    elif kind == 2:  # Italy
        text = rand_from(LETTERS, 2) + " " + rand_from(DIGITS, 3) + rand_from(LETTERS, 2)
    elif kind == 3:  # Netherlands-like
        text = rand_from(DIGITS, 2) + "-" + rand_from(LETTERS, 3) + "-" + rand_from(DIGITS, 1)
    else:  # Poland
        text = rand_from(LETTERS, 3) + " " + rand_from(DIGITS + LETTERS, 4)
    W, H = 520, 110
    yellow = kind == 3 and random.random() < 0.7
    c = np.full((H, W, 3), (240, 200, 20) if yellow else jitter_colour((245, 245, 245), 10), np.uint8)
    c[:, 0:44] = jitter_colour((10, 50, 160), 10)
    code = {0: "RO", 1: "F", 2: "I", 3: "NL", 4: "PL"}[kind]
    paint(c, text_mask(code, SMALL_FONTS[0], 14 * len(code), 24), 22 - 7 * len(code), 70, (250, 250, 250))
    ink = jitter_colour((15, 15, 15), 10)
    main_text(c, text, (58, 16, 446, 80), fonts, ink)
    border(c, ink, 3, 8)
    return Plate(c, "".join(ch for ch in text if ch in ALPHABET), "eu")


def us_text() -> str:
    f = random.randint(0, 7)
    if f == 0:
        return random.choice("123456789") + rand_from(LETTERS, 3) + rand_from(DIGITS, 3)  # CA
    if f == 1:
        return rand_from(LETTERS, 3) + "-" + rand_from(DIGITS, 4)  # TX / NY
    if f == 2:
        return rand_from(LETTERS, 2) + " " + rand_from(DIGITS, 5)  # IL
    if f == 3:
        return rand_from(LETTERS, 3) + " " + rand_from(DIGITS, 3)  # many states
    if f == 4:
        return rand_from(DIGITS, 3) + " " + rand_from(LETTERS, 3)
    if f == 5:
        return rand_from(LETTERS, 3) + " " + random.choice(LETTERS) + rand_from(DIGITS, 2)  # FL
    if f == 6:
        return rand_from(DIGITS, random.randint(3, 4)) + " " + rand_from(LETTERS, 2)
    return "".join(random.choice(LETTERS + DIGITS) for _ in range(random.randint(5, 7)))


def us_plate(fonts) -> Plate:
    text = us_text()
    W, H = 300, 150
    base = random.choice([(245, 245, 245), (250, 250, 235), (235, 240, 250), (250, 235, 200), (220, 235, 250)])
    c = np.full((H, W, 3), jitter_colour(base, 10), np.uint8)
    if random.random() < 0.5:  # gradient / graphic band
        g = np.linspace(0, 1, H)[:, None, None]
        tint = np.array(jitter_colour(random.choice([(120, 160, 220), (230, 150, 90), (150, 200, 150)]), 30))
        c = (c * (1 - 0.5 * g) + tint * 0.5 * g).astype(np.uint8)
    ink = random.choice([(20, 30, 110), (15, 15, 15), (140, 20, 30), (20, 90, 40), (60, 30, 90)])
    ink = jitter_colour(ink, 15)
    state = random.choice(US_STATES)
    accent = jitter_colour(random.choice([(180, 20, 30), (20, 40, 140), (15, 15, 15)]), 20)
    paint(c, text_mask(state, random.choice(SMALL_FONTS + [SMALL_FONTS[3]]), random.randint(120, 220), 22),
          random.randint(30, 80), 8, accent)
    main_text(c, text, (16, 38, 268, 78), fonts, ink)
    if random.random() < 0.8:
        paint(c, text_mask(random.choice(SLOGANS), random.choice(SMALL_FONTS), random.randint(90, 180), 14),
              random.randint(40, 110), 126, accent)
    if random.random() < 0.5:  # registration stickers
        sc = jitter_colour(random.choice([(200, 30, 30), (30, 140, 30), (240, 200, 20)]), 20)
        c[6:26, 8:34] = sc
    border(c, jitter_colour((60, 60, 60), 40), random.randint(1, 4), 10)
    return Plate(c, "".join(ch for ch in text if ch in ALPHABET), "us")


STYLES = [(br_grey, 0.30), (br_mercosur, 0.18), (br_moto, 0.06), (de_plate, 0.14), (eu_plate, 0.12),
          (us_plate, 0.20)]


def random_plate(fonts) -> Plate:
    STROKE[0] = (random.choice("de"), random.randint(2, 5)) if random.random() < 0.35 else None
    r = random.random()
    acc = 0.0
    for fn, p in STYLES:
        acc += p
        if r <= acc:
            return fn(fonts)
    return STYLES[-1][0](fonts)


# --------------------------------------------------------------------------------------------- augmentation

def photometric(img: np.ndarray, strength: float = 1.0) -> np.ndarray:
    out = img.astype(np.float32)
    if random.random() < 0.8:
        a = random.uniform(0.55, 1.35)
        b = random.uniform(-50, 40)
        out = out * a + b
    if random.random() < 0.25 * strength:  # glare: a bright ellipse
        h, w = out.shape[:2]
        mask = np.zeros((h, w), np.float32)
        cv2.ellipse(mask, (random.randint(0, w), random.randint(0, h)),
                    (random.randint(w // 8, w // 2 + 1), random.randint(h // 8, h // 2 + 1)),
                    random.uniform(0, 180), 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, w / 20))
        out = out + mask[..., None] * random.uniform(60, 160)
    if random.random() < 0.15 * strength:  # night / infrared: grey, dark, contrasty
        grey = out.mean(axis=2, keepdims=True)
        out = np.repeat(grey, 3, axis=2)
        out = 255 * np.clip(out / 255, 0, 1) ** random.uniform(1.2, 2.2) * random.uniform(0.5, 1.2)
    if random.random() < 0.2 * strength:  # dirt
        h, w = out.shape[:2]
        for _ in range(random.randint(1, 4)):
            cv2.circle(out, (random.randint(0, w), random.randint(0, h)), random.randint(1, max(2, h // 14)),
                       tuple(float(v) for v in jitter_colour((90, 80, 60), 30)), -1)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if random.random() < 0.35 * strength:
        k = random.choice([3, 5])
        out = cv2.GaussianBlur(out, (k, k), 0)
    if random.random() < 0.2 * strength:  # motion blur
        k = random.randint(3, 7)
        kern = np.zeros((k, k), np.float32)
        if random.random() < 0.5:
            kern[k // 2, :] = 1.0 / k
        else:
            np.fill_diagonal(kern, 1.0 / k)
        out = cv2.filter2D(out, -1, kern)
    if random.random() < 0.4 * strength:
        noise = np.empty(out.shape, np.int16)
        cv2.randn(noise, 0, random.uniform(2, 12))
        out = np.clip(out.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    if random.random() < 0.5:
        q = random.randint(25, 90)
        ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            out = cv2.imdecode(enc, cv2.IMREAD_UNCHANGED)
    return out


class Backgrounds:
    """Random patches of real street scenes (ro-dashcam frames) or flat/gradient colours."""

    def __init__(self, frames: list[np.ndarray]):
        self.frames = frames

    def patch(self, w: int, h: int) -> np.ndarray:
        if self.frames and random.random() < 0.75:
            f = random.choice(self.frames)
            fh, fw = f.shape[:2]
            s = random.uniform(0.1, 0.8)
            cw, ch = max(8, int(fw * s)), max(8, int(fw * s * h / w))
            ch = min(ch, fh)
            x, y = random.randint(0, fw - cw), random.randint(0, fh - ch)
            return cv2.resize(f[y:y + ch, x:x + cw], (w, h))
        c = np.full((h, w, 3), jitter_colour((128, 128, 128), 120), np.uint8)
        if random.random() < 0.7:  # clutter: gradients, blocks and lines
            g = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
            c = (c * (1 - 0.5 * g) + np.array(jitter_colour((128, 128, 128), 120), np.float32) * 0.5 * g)
            c = c.astype(np.uint8)
            for _ in range(random.randint(0, 12)):
                x0, y0 = random.randint(0, w), random.randint(0, h)
                col = jitter_colour((128, 128, 128), 127)
                if random.random() < 0.5:
                    cv2.rectangle(c, (x0, y0), (x0 + random.randint(2, w // 2 + 2), y0 + random.randint(2, h // 2 + 2)),
                                  col, -1)
                else:
                    cv2.line(c, (x0, y0), (random.randint(0, w), random.randint(0, h)), col, random.randint(1, 4))
        return c


def load_frames(ds_dir: str, split: str | None = None, limit: int | None = None, scale: float = 0.5):
    rows = read_boxes(ds_dir)
    names = sorted({r[1] for r in rows if split is None or r[0] == split})
    if limit:
        names = names[:limit]
    frames = []
    for n in names:
        img = cv2.imread(os.path.join(ds_dir, n))
        if img is None:
            continue
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        if scale != 1.0:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frames.append(img)
    return frames


def read_boxes(ds_dir: str):
    path = os.path.join(ds_dir, "boxes.csv")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        return [(row[0], row[1], *map(float, row[2:6])) for row in r]


def warp_plate(plate: np.ndarray, dst_quad: np.ndarray, canvas: np.ndarray, blend_blur: bool = True) -> None:
    """Projects `plate` onto `canvas` so that its corners land on dst_quad (tl, tr, br, bl)."""
    h, w = plate.shape[:2]
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    M = cv2.getPerspectiveTransform(src, dst_quad.astype(np.float32))
    H, W = canvas.shape[:2]
    warped = cv2.warpPerspective(plate, M, (W, H), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), M, (W, H))
    if blend_blur:
        mask = cv2.GaussianBlur(mask, (3, 3), 0)
    m = mask[..., None]
    canvas[:] = (canvas.astype(np.float32) * (1 - m) + warped.astype(np.float32) * m).astype(np.uint8)


def random_quad(cx: float, cy: float, pw: float, ph: float, skew: float) -> np.ndarray:
    """A plate quad centred at (cx, cy): rotation, perspective (yaw/pitch) and shear up to `skew`."""
    ang = math.radians(random.uniform(-12, 12) * skew)
    yaw = random.uniform(-0.35, 0.35) * skew  # relative height change left vs right
    pitch = random.uniform(-0.15, 0.15) * skew
    hw, hh = pw / 2, ph / 2
    pts = np.array([
        [-hw * (1 - pitch), -hh * (1 + yaw)],
        [hw * (1 - pitch), -hh * (1 - yaw)],
        [hw * (1 + pitch), hh * (1 - yaw)],
        [-hw * (1 + pitch), hh * (1 + yaw)],
    ], np.float32)
    shear = random.uniform(-0.15, 0.15) * skew
    pts[:, 0] += pts[:, 1] * shear
    rot = np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]], np.float32)
    pts = pts @ rot.T
    pts[:, 0] += cx
    pts[:, 1] += cy
    return pts


# ------------------------------------------------------------------------------------------ recogniser data

REC_H, REC_W = 32, 128


def rectify(img: np.ndarray, quad: np.ndarray, out_w: int, out_h: int, margin_x: float, margin_y: float):
    """Same crop as the Rust inference: the quad expanded by margins, mapped to out_w x out_h."""
    tl, tr, br, bl = quad
    # Expand along the plate's own axes.
    ux = ((tr - tl) + (br - bl)) / 2
    uy = ((bl - tl) + (br - tr)) / 2
    exp = np.array([
        tl - ux * margin_x - uy * margin_y,
        tr + ux * margin_x - uy * margin_y,
        br + ux * margin_x + uy * margin_y,
        bl - ux * margin_x + uy * margin_y,
    ], np.float32)
    dst = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
    M = cv2.getPerspectiveTransform(exp, dst)
    return cv2.warpPerspective(img, M, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def rec_sample(fonts, bgs: Backgrounds, loose: bool = False):
    """One recogniser training crop (grey, REC_H x REC_W) and its label. `loose`: half the crops
    taken with the detector's larger corner errors on real photos (box 0.8-1.15 of the plate's
    height, up to 1.35 of its width, centre off by up to 5% of the width and 8% of the height)."""
    p = random_plate(fonts)
    ph, pw = p.image.shape[:2]
    # Target pixel width of the plate in the photo: from far (45 px) to near (360 px).
    target_w = random.uniform(45, 360)
    s = target_w / pw
    tw, th = target_w, ph * s
    cw, ch = int(tw * 1.8) + 8, int(th * 2.2) + 8
    canvas = bgs.patch(cw, ch)
    quad = random_quad(cw / 2, ch / 2, tw, th, skew=random.uniform(0, 1.0))
    plate = p.image
    if random.random() < 0.1:  # partial occlusion (a bar, a tow hitch) that leaves the text readable
        plate = plate.copy()
        y = random.choice([0, ph - ph // 6])
        plate[y: y + ph // 6, :] = jitter_colour((40, 40, 40), 40)
    warp_plate(plate, quad, canvas)
    canvas = photometric(canvas)
    # How the crop is taken: corners from the detector (noisy) or an axis-aligned box.
    noise = th * 0.07
    if random.random() < 0.6:
        q = quad + np.random.normal(0, noise, quad.shape).astype(np.float32)
        if loose and random.random() < 0.5:
            q = q + np.array([random.uniform(-0.05, 0.05) * tw, random.uniform(-0.08, 0.08) * th], np.float32)
            crop = rectify(canvas, q, REC_W, REC_H, random.uniform(-0.03, 0.18), random.uniform(-0.12, 0.15))
        else:
            crop = rectify(canvas, q, REC_W, REC_H, random.uniform(-0.02, 0.08), random.uniform(-0.04, 0.15))
    else:
        x0, y0 = quad.min(axis=0)
        x1, y1 = quad.max(axis=0)
        bw, bh = x1 - x0, y1 - y0
        x0 += random.uniform(-0.06, 0.06) * bw
        x1 += random.uniform(-0.06, 0.06) * bw
        y0 += random.uniform(-0.12, 0.12) * bh
        y1 += random.uniform(-0.12, 0.12) * bh
        box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
        crop = rectify(canvas, box, REC_W, REC_H, 0.0, 0.0)
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    if random.random() < 0.1:
        grey = 255 - grey  # inverted (some IR cameras, dark plates with light text)
    return grey, p.label


# -------------------------------------------------------------------------------------------- detector data

DET = 256  # training crops; inference runs the fully convolutional net on a larger letterboxed frame


def det_sample(fonts, frames_with_boxes, bgs: Backgrounds, size: int = DET):
    """A square scene with plates; returns RGB image and a list of corner quads (4x2, pixels)."""
    quads = []
    if frames_with_boxes and random.random() < 0.6:
        img, boxes = random.choice(frames_with_boxes)
        fh, fw = img.shape[:2]
        if boxes and random.random() < 0.7:
            # Zoom around a real plate so it spans 8%..55% of the crop width.
            bx0, by0, bx1, by1 = random.choice(boxes)
            bw = bx1 - bx0
            crop_w = min(fw, fh, max(bw / random.uniform(0.08, 0.75), 40))
        else:
            crop_w = random.uniform(0.3, 1.0) * min(fw, fh)
            bx0 = by0 = None
        crop_w = int(crop_w)
        if bx0 is not None:
            cx = (bx0 + bx1) / 2 + random.uniform(-0.4, 0.4) * crop_w
            cy = (by0 + by1) / 2 + random.uniform(-0.4, 0.4) * crop_w
            x = int(np.clip(cx - crop_w / 2, 0, fw - crop_w))
            y = int(np.clip(cy - crop_w / 2, 0, fh - crop_w))
        else:
            x, y = random.randint(0, fw - crop_w), random.randint(0, fh - crop_w)
        s = size / crop_w
        canvas = cv2.resize(img[y:y + crop_w, x:x + crop_w], (size, size), interpolation=cv2.INTER_AREA)
        for (a, b, c, d) in boxes:
            q = np.array([[a, b], [c, b], [c, d], [a, d]], np.float32)
            q = (q - np.array([x, y], np.float32)) * s
            if q[:, 0].min() >= -2 and q[:, 1].min() >= -2 and q[:, 0].max() <= size + 2 and q[:, 1].max() <= size + 2:
                quads.append(q)
            elif (q[:, 0].max() > 0 and q[:, 0].min() < size and q[:, 1].max() > 0 and q[:, 1].min() < size):
                quads.append(None)  # cut by the crop: neither positive nor negative
        n_synth = random.choice([0, 0, 1, 1, 2])
    else:
        canvas = bgs.patch(size, size)
        n_synth = random.choice([1, 1, 1, 2, 3])
    for _ in range(n_synth):
        p = random_plate(fonts)
        ph, pw = p.image.shape[:2]
        tw = random.uniform(0.08, 0.75) * size
        th = tw * ph / pw
        cx, cy = random.uniform(tw / 2, size - tw / 2), random.uniform(th / 2, size - th / 2)
        q = random_quad(cx, cy, tw, th, skew=random.uniform(0, 1.0))
        if any(qq is not None and _overlap(q, qq) for qq in quads):
            continue
        plate = photometric(p.image, 0.5)
        # A car-coloured surround, as a plate sits on a bumper.
        if random.random() < 0.7:
            surround = random_quad(cx, cy + th * 0.2, tw * random.uniform(1.6, 3.5), th * random.uniform(2, 4), 0.3)
            col = jitter_colour(random.choice([(200, 200, 200), (30, 30, 30), (150, 20, 20), (240, 240, 240),
                                               (40, 60, 120), (120, 120, 120)]), 30)
            cv2.fillConvexPoly(canvas, surround.astype(np.int32), col)
        if random.random() < 0.5:
            # A plate holder or recess a little larger than the plate: the box must not include it.
            holder = q.mean(axis=0) + (q - q.mean(axis=0)) * np.array(
                [random.uniform(1.05, 1.3), random.uniform(1.1, 1.7)], np.float32)
            cv2.fillConvexPoly(canvas, holder.astype(np.int32), jitter_colour((35, 35, 35), 30))
        warp_plate(plate, q, canvas)
        quads.append(q)
    # Distractors: signs and text that are not plates.
    for _ in range(random.choice([0, 0, 1, 2])):
        w = random.uniform(0.05, 0.4) * size
        aspect = random.choice([random.uniform(0.3, 1.2), random.uniform(5.5, 9)])
        h = w * aspect if aspect < 2 else w / aspect
        x, y = random.uniform(0, size - w), random.uniform(0, size - h)
        sign = np.full((max(4, int(h)), max(4, int(w)), 3), jitter_colour((128, 128, 128), 120), np.uint8)
        paint(sign, text_mask(rand_from(LETTERS, random.randint(2, 8)), random.choice(SMALL_FONTS),
                              max(2, int(w * 0.8)), max(2, int(min(h, w) * 0.3))), int(w * 0.1), int(h * 0.3),
              jitter_colour((20, 20, 20), 80))
        sx, sy = int(x), int(y)
        canvas[sy:sy + sign.shape[0], sx:sx + sign.shape[1]] = sign[: size - sy, : size - sx]
    if random.random() < 0.2:  # letterbox bars as the inference pads non-square frames
        bar = random.randint(10, size // 4)
        canvas[:bar] = 114
        canvas[size - bar:] = 114
        quads = [q for q in quads if q is None or (q[:, 1].min() > bar and q[:, 1].max() < size - bar)]
    if random.random() < 0.5:
        canvas = canvas[:, ::-1].copy()
        quads = [None if q is None else _flip(q, size) for q in quads]
    canvas = photometric(canvas, 0.6)
    return canvas, quads


def _flip(q: np.ndarray, size: int) -> np.ndarray:
    f = q.copy()
    f[:, 0] = size - 1 - f[:, 0]
    # Keep corner order tl, tr, br, bl after mirroring.
    return f[[1, 0, 3, 2]]


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    ax0, ay0 = a.min(axis=0)
    ax1, ay1 = a.max(axis=0)
    bx0, by0 = b.min(axis=0)
    bx1, by1 = b.max(axis=0)
    return not (ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0)
