//! Synthetic plate photos drawn at test time: a Brazilian plate (grey `ABC-1234` or Mercosur
//! `ABC1D23`) on a car-coloured body in a 1280×720 frame, lettered with a Debian font.

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use image::{Rgb, RgbImage};
use std::path::Path;

const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
];

pub fn font() -> FontVec {
    for f in FONTS {
        if let Ok(bytes) = std::fs::read(f) {
            return FontVec::try_from_vec(bytes).expect("a valid font");
        }
    }
    panic!("no test font found: install the Debian package fonts-dejavu-core (.ci/run does)");
}

fn blend(img: &mut RgbImage, x: i64, y: i64, colour: [u8; 3], a: f32) {
    if x < 0 || y < 0 || x >= img.width() as i64 || y >= img.height() as i64 {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    for (v, c) in p.0.iter_mut().zip(colour) {
        *v = (*v as f32 * (1.0 - a) + c as f32 * a).round() as u8;
    }
}

/// Where and how large a line of text is: top-left, width and cap height, in pixels.
pub struct Place {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub cap: f32,
}

/// Draws `text` so that its cap height is `cap` pixels and it spans `width`, from (x, y) top-left.
fn text(img: &mut RgbImage, font: &FontVec, s: &str, at: Place, colour: [u8; 3]) {
    let cap_em = font
        .outline_glyph(font.glyph_id('H').with_scale(100.0))
        .map(|g| g.px_bounds().height() / 100.0)
        .unwrap_or(0.72);
    let Place { x, y, width, cap } = at;
    let sy = cap / cap_em;
    let natural: f32 = s
        .chars()
        .map(|c| {
            font.as_scaled(PxScale::from(sy))
                .h_advance(font.glyph_id(c))
        })
        .sum();
    let sx = sy * width / natural;
    let scale = PxScale { x: sx, y: sy };
    let scaled = font.as_scaled(scale);
    let mut pen = x;
    for c in s.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(scale, point(pen, y + cap));
        if let Some(og) = font.outline_glyph(glyph) {
            let b = og.px_bounds();
            og.draw(|gx, gy, cov| {
                blend(
                    img,
                    b.min.x as i64 + gx as i64,
                    b.min.y as i64 + gy as i64,
                    colour,
                    cov.min(1.0),
                )
            });
        }
        pen += scaled.h_advance(id);
    }
}

fn rect(img: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, colour: [u8; 3]) {
    for y in y0..y1 {
        for x in x0..x1 {
            blend(img, x, y, colour, 1.0);
        }
    }
}

/// A 400×130 plate. `text` is the characters only; grey plates get a dash after three letters.
pub fn plate(font: &FontVec, chars: &str) -> RgbImage {
    let mercosur = chars
        .as_bytes()
        .get(4)
        .is_some_and(|c| c.is_ascii_uppercase());
    let bg = if mercosur {
        [244, 244, 244]
    } else {
        [200, 202, 204]
    };
    let mut p = RgbImage::from_pixel(400, 130, Rgb(bg));
    let ink = [22, 22, 22];
    if mercosur {
        rect(&mut p, 0, 0, 400, 30, [20, 60, 160]);
        text(
            &mut p,
            font,
            "BRASIL",
            Place {
                x: 160.0,
                y: 7.0,
                width: 80.0,
                cap: 14.0,
            },
            [250, 250, 250],
        );
        text(
            &mut p,
            font,
            chars,
            Place {
                x: 22.0,
                y: 44.0,
                width: 356.0,
                cap: 70.0,
            },
            ink,
        );
    } else {
        text(
            &mut p,
            font,
            "SP - SAO PAULO",
            Place {
                x: 120.0,
                y: 10.0,
                width: 160.0,
                cap: 13.0,
            },
            ink,
        );
        let shown = format!("{}-{}", &chars[..3], &chars[3..]);
        text(
            &mut p,
            font,
            &shown,
            Place {
                x: 20.0,
                y: 38.0,
                width: 360.0,
                cap: 72.0,
            },
            ink,
        );
    }
    // Border.
    for t in 0..4 {
        for x in 0..400 {
            blend(&mut p, x, t, ink, 1.0);
            blend(&mut p, x, 129 - t, ink, 1.0);
        }
        for y in 0..130 {
            blend(&mut p, t, y, ink, 1.0);
            blend(&mut p, 399 - t, y, ink, 1.0);
        }
    }
    p
}

/// Where [`scene`] puts the plate for `variant`: x, y, width, height in pixels.
pub fn plate_box(variant: u32) -> [u32; 4] {
    let plate_w = 240 + (variant % 5) * 30;
    let plate_h = plate_w * 130 / 400;
    let cx = 440 + variant * 97 % 400;
    let cy = 400 + variant * 53 % 120;
    [cx - plate_w / 2, cy - plate_h / 2, plate_w, plate_h]
}

/// A frame with the plate `chars` on a car body; `variant` moves and sizes things.
pub fn scene(font: &FontVec, chars: &str, variant: u32) -> RgbImage {
    let (w, h) = (1280u32, 720u32);
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let g = 60 + (y * 120 / h) as u8;
        Rgb([g, g.saturating_add((x % 97) as u8 / 8), g + 10])
    });
    let bodies = [
        [180, 182, 186],
        [150, 25, 30],
        [240, 240, 240],
        [30, 50, 110],
    ];
    let body = bodies[variant as usize % bodies.len()];
    let [px, py, plate_w, plate_h] = plate_box(variant);
    let cx = (px + plate_w / 2) as i64;
    let cy = (py + plate_h / 2) as i64;
    rect(
        &mut img,
        cx - plate_w as i64 * 2,
        cy - 260,
        cx + plate_w as i64 * 2,
        cy + 140,
        body,
    );
    // Lights and a grille so the body is not a flat box.
    rect(
        &mut img,
        cx - plate_w as i64 * 2 + 30,
        cy - 200,
        cx - plate_w as i64 + 20,
        cy - 150,
        [230, 230, 200],
    );
    rect(
        &mut img,
        cx + plate_w as i64 - 20,
        cy - 200,
        cx + plate_w as i64 * 2 - 30,
        cy - 150,
        [230, 230, 200],
    );
    rect(
        &mut img,
        cx - plate_w as i64 / 2,
        cy - 150,
        cx + plate_w as i64 / 2,
        cy - 90,
        [40, 40, 40],
    );
    let p = image::imageops::resize(
        &plate(font, chars),
        plate_w,
        plate_h,
        image::imageops::FilterType::Triangle,
    );
    image::imageops::overlay(&mut img, &p, px as i64, py as i64);
    img
}

/// Writes `img` as a JPEG at `path`, atomically (temporary name, then rename).
pub fn write_jpeg(img: &RgbImage, path: &Path) {
    let tmp = path.with_extension("tmp");
    img.save_with_format(&tmp, image::ImageFormat::Jpeg)
        .unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A plate text for `i`: alternately grey (ABC1234) and Mercosur (ABC1D23), all distinct.
pub fn plate_text(i: u32) -> String {
    let l = |k: u32| (b'A' + (k % 26) as u8) as char;
    let d = |k: u32| (b'0' + (k % 10) as u8) as char;
    if i.is_multiple_of(2) {
        format!(
            "{}{}{}{}{}{}{}",
            l(i * 7 + 1),
            l(i * 3 + 5),
            l(i + 11),
            d(i + 2),
            d(i * 3 + 7),
            d(i * 7 + 1),
            d(i / 3 + 4)
        )
    } else {
        format!(
            "{}{}{}{}{}{}{}",
            l(i * 5 + 2),
            l(i * 11 + 3),
            l(i + 17),
            d(i * 3 + 1),
            l(i * 13 + 6),
            d(i + 5),
            d(i * 9 + 3)
        )
    }
}
