"""Small product photos drawn with Pillow for the demo data (nothing downloaded).

Each kind of produce gets a simple, recognisable still life: a flour sack, a
bowl of rice, a heap of walnuts, a honey jar, tea leaves, potatoes, apricots.
Deterministic for a given seed, so reloading the demo gives the same pictures.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

SIZE = 720


def _background(rng: random.Random, top: tuple, bottom: tuple) -> Image.Image:
    img = Image.new("RGB", (SIZE, SIZE), top)
    draw = ImageDraw.Draw(img)
    for y in range(SIZE):
        t = y / SIZE
        color = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (SIZE, y)], fill=color)
    # a wooden table edge
    draw.rectangle([0, int(SIZE * 0.72), SIZE, SIZE], fill=(150, 105, 62))
    for _ in range(40):
        y = rng.randint(int(SIZE * 0.72), SIZE)
        draw.line([(0, y), (SIZE, y + rng.randint(-6, 6))], fill=(135, 93, 55), width=1)
    return img


def _sack(draw: ImageDraw.ImageDraw, rng: random.Random, label: tuple, text: str) -> None:
    body = (238, 228, 205)
    draw.rounded_rectangle(
        [190, 150, 530, 620], radius=60, fill=body, outline=(200, 186, 160), width=4
    )
    draw.polygon([(220, 170), (360, 95), (500, 170)], fill=body, outline=(200, 186, 160))
    draw.line([(250, 175), (470, 175)], fill=(160, 120, 80), width=8)  # tie
    draw.rounded_rectangle([230, 300, 490, 470], radius=16, fill=label)
    for i in range(7):  # wheat ear on the label
        y = 330 + i * 17
        draw.ellipse([345, y, 360, y + 14], fill=(240, 200, 90))
        draw.ellipse([362, y, 377, y + 14], fill=(240, 200, 90))
    draw.line([(361, 330), (361, 450)], fill=(240, 200, 90), width=3)
    draw.text((250, 440), text, fill=(255, 255, 255))
    for _ in range(300):  # flour dust
        x, y = rng.randint(150, 570), rng.randint(560, 640)
        draw.point((x, y), fill=(250, 248, 240))


def _heap(draw, rng, color, shade, n, rx, ry, cx=360, cy=500, spread=200):
    for _ in range(n):
        x = cx + rng.gauss(0, spread / 2.5)
        y = cy + abs(rng.gauss(0, spread / 5)) - 40
        c = tuple(max(0, min(255, v + rng.randint(-18, 18))) for v in color)
        draw.ellipse([x - rx, y - ry, x + rx, y + ry], fill=c, outline=shade)


def _jar(draw, rng):
    draw.rounded_rectangle(
        [240, 260, 480, 620], radius=40, fill=(222, 150, 30), outline=(170, 100, 20), width=5
    )
    draw.rectangle([260, 220, 460, 270], fill=(120, 80, 40))
    draw.rounded_rectangle([280, 380, 440, 500], radius=10, fill=(250, 240, 215))
    draw.ellipse([330, 405, 390, 470], fill=(240, 190, 60))
    draw.ellipse([270, 300, 300, 560], fill=(245, 190, 80))  # highlight


def _leaves(draw, rng):
    draw.ellipse([160, 470, 560, 640], fill=(245, 245, 240), outline=(200, 200, 195), width=4)
    for _ in range(70):
        x, y = rng.randint(220, 500), rng.randint(470, 590)
        w, h = rng.randint(18, 34), rng.randint(6, 12)
        draw.ellipse(
            [x, y, x + w, y + h], fill=(60 + rng.randint(0, 40), 110 + rng.randint(0, 50), 40)
        )


KINDS = {
    "flour": lambda d, r, label, text: _sack(d, r, label, text),
    "rice": lambda d, r, *_: (
        d.ellipse([150, 420, 570, 640], fill=(180, 70, 50)),
        _heap(d, r, (250, 250, 245), (225, 225, 215), 900, 7, 4, cy=480, spread=300),
    ),
    "walnut": lambda d, r, *_: _heap(d, r, (150, 105, 60), (110, 75, 40), 45, 38, 32),
    "apricot": lambda d, r, *_: _heap(d, r, (235, 140, 40), (190, 100, 30), 60, 30, 24),
    "potato": lambda d, r, *_: _heap(d, r, (200, 160, 100), (160, 120, 70), 28, 55, 40),
    "honey": lambda d, r, *_: _jar(d, r),
    "tea": lambda d, r, *_: _leaves(d, r),
}


def render(kind: str, *, seed: int, label: tuple = (60, 110, 50), text: str = "") -> bytes:
    rng = random.Random(seed)
    top = (214 + rng.randint(-10, 10), 228, 240)
    img = _background(rng, top, (246, 240, 226))
    draw = ImageDraw.Draw(img)
    KINDS.get(kind, KINDS["flour"])(draw, rng, label, text)
    img = img.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82)
    return out.getvalue()


def render_logo(initials: str, *, color: tuple) -> bytes:
    img = Image.new("RGB", (256, 256), color)
    draw = ImageDraw.Draw(img)
    draw.ellipse([20, 20, 236, 236], outline=(255, 255, 255), width=8)
    draw.text((104, 118), initials[:2], fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
