//! The vehicle's dominant colour: the body region just above the plate (bumper, boot lid or
//! grille surround), each pixel put in a small named palette, and the most common name wins.
//! Also what the plate's own colours say about its design ([`plate_cues`]).

use crate::geometry::{self, Quad};
use image::RgbImage;
use serde::Serialize;

/// The palette's names, as the node's `colour` field expects them.
pub const PALETTE: [&str; 11] = [
    "white", "silver", "grey", "black", "red", "orange", "brown", "yellow", "green", "blue",
    "purple",
];

/// A colour estimate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Colour {
    pub name: &'static str,
    /// Share of the sampled pixels that had this colour.
    pub share: f32,
}

/// Names one pixel.
pub fn classify(r: u8, g: u8, b: u8) -> &'static str {
    let (r, g, b) = (r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let v = max;
    let s = if max > 0.0 { (max - min) / max } else { 0.0 };
    if v < 0.2 {
        return "black";
    }
    if s < 0.2 || (max - min) < 0.08 {
        return if v > 0.8 {
            "white"
        } else if v > 0.5 {
            "silver"
        } else if v > 0.28 {
            "grey"
        } else {
            "black"
        };
    }
    let d = max - min;
    let mut h = if max == r {
        60.0 * (((g - b) / d) % 6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    if h < 0.0 {
        h += 360.0;
    }
    match h {
        h if !(15.0..340.0).contains(&h) => "red",
        h if h < 40.0 => {
            if v < 0.6 {
                "brown"
            } else {
                "orange"
            }
        }
        h if h < 70.0 => {
            if v < 0.5 {
                "brown"
            } else {
                "yellow"
            }
        }
        h if h < 165.0 => "green",
        h if h < 260.0 => "blue",
        _ => "purple",
    }
}

/// The dominant colour of the region above `plate`, or `None` when it falls outside the frame.
pub fn dominant(img: &RgbImage, plate: &Quad) -> Option<Colour> {
    let [x, y, w, h] = crate::geometry::bounds(plate);
    let cx = x + w / 2.0;
    let x0 = (cx - 1.2 * w).max(0.0) as u32;
    let x1 = ((cx + 1.2 * w) as u32).min(img.width());
    let y0 = (y - 2.5 * h).max(0.0) as u32;
    let y1 = ((y - 0.6 * h).max(0.0) as u32).min(img.height());
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return None;
    }
    let mut counts = [0u32; PALETTE.len()];
    let step = (((x1 - x0) * (y1 - y0)) as f32 / 4000.0).sqrt().max(1.0) as usize;
    let mut total = 0u32;
    for yy in (y0..y1).step_by(step) {
        for xx in (x0..x1).step_by(step) {
            let p = img.get_pixel(xx, yy).0;
            let name = classify(p[0], p[1], p[2]);
            counts[PALETTE
                .iter()
                .position(|&n| n == name)
                .expect("palette name")] += 1;
            total += 1;
        }
    }
    let (i, &n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    (total > 0).then(|| Colour {
        name: PALETTE[i],
        share: n as f32 / total as f32,
    })
}

/// What the colour image shows of a plate's design, for layouts that differ only in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlateCues {
    /// `Some(true)`: a blue band across the top of a plate that is not blue itself (Mercosur);
    /// `Some(false)`: a colour image with no blue at the top of the plate; `None`: the image
    /// cannot tell (monochrome or infrared frame, a blue plate, a mixed or tiny sample).
    pub blue_top_band: Option<bool>,
}

/// Share of blue samples above which the top strip is a blue band, and below which it is not.
const BAND_BLUE: f32 = 0.35;
const BAND_NOT_BLUE: f32 = 0.08;

fn is_blue(p: [u8; 3]) -> bool {
    let [r, g, b] = p.map(|v| v as i32);
    // Saturated, not dark, and blue the strongest channel by a clear margin.
    b > 45 && b - r.max(g) > 25 && (b - r.min(g)) * 100 > 30 * b
}

/// Samples the plate inside `plate` (its corners: top-left, top-right, bottom-right, bottom-left)
/// in plate coordinates, so a tilted plate is sampled along its own axes.
pub fn plate_cues(img: &RgbImage, plate: &Quad) -> PlateCues {
    let unit: Quad = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
    let Some(h) = geometry::homography(&unit, plate) else {
        return PlateCues::default();
    };
    let (w, ht) = (img.width() as f32, img.height() as f32);
    let sample = |v0: f32, v1: f32| -> Option<(Vec<[u8; 3]>, usize)> {
        let (nu, nv) = (24, 4);
        let mut px = Vec::with_capacity(nu * nv);
        for j in 0..nv {
            for i in 0..nu {
                let u = 0.1 + 0.8 * (i as f32 + 0.5) / nu as f32;
                let v = v0 + (v1 - v0) * (j as f32 + 0.5) / nv as f32;
                let (x, y) = geometry::apply(&h, u, v);
                if !(0.0..w).contains(&x) || !(0.0..ht).contains(&y) {
                    return None;
                }
                px.push(img.get_pixel(x as u32, y as u32).0);
            }
        }
        let blue = px.iter().filter(|p| is_blue(**p)).count();
        Some((px, blue))
    };
    let (Some((top, top_blue)), Some((body, body_blue))) = (sample(0.03, 0.2), sample(0.35, 0.9))
    else {
        return PlateCues::default();
    };
    // A monochrome frame (infrared, night mode) has equal channels: it shows no colour at all.
    let grey = top
        .iter()
        .chain(&body)
        .filter(|p| p.iter().max().unwrap_or(&0) - p.iter().min().unwrap_or(&0) <= 3)
        .count();
    if grey * 100 >= (top.len() + body.len()) * 97 {
        return PlateCues::default();
    }
    let (top_share, body_share) = (
        top_blue as f32 / top.len() as f32,
        body_blue as f32 / body.len() as f32,
    );
    let blue_top_band = if body_share > BAND_NOT_BLUE {
        None // a blue plate, or the box is on a blue car: the top says nothing
    } else if top_share >= BAND_BLUE {
        Some(true)
    } else if top_share <= BAND_NOT_BLUE {
        Some(false)
    } else {
        None
    };
    PlateCues { blue_top_band }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_names() {
        assert_eq!(classify(250, 250, 250), "white");
        assert_eq!(classify(170, 172, 175), "silver");
        assert_eq!(classify(10, 10, 12), "black");
        assert_eq!(classify(200, 20, 30), "red");
        assert_eq!(classify(20, 50, 170), "blue");
        assert_eq!(classify(30, 140, 40), "green");
        assert_eq!(classify(240, 210, 30), "yellow");
        assert_eq!(classify(110, 70, 30), "brown");
    }

    #[test]
    fn region_above_the_plate_decides() {
        // Red body above, white plate, black road below.
        let img = RgbImage::from_fn(400, 300, |_, y| {
            image::Rgb(if y < 200 {
                [190, 25, 30]
            } else if y < 230 {
                [250, 250, 250]
            } else {
                [5, 5, 5]
            })
        });
        let plate = [
            [150.0, 200.0],
            [250.0, 200.0],
            [250.0, 230.0],
            [150.0, 230.0],
        ];
        let c = dominant(&img, &plate).unwrap();
        assert_eq!(c.name, "red");
        assert!(c.share > 0.9);
    }

    /// A 200×60 plate at (100, 100) on a silver car: white with a blue top fifth (Mercosur),
    /// light grey (Brazil's old plates), or the same grey photographed by an infrared camera.
    fn plate_on_car(kind: &str) -> RgbImage {
        RgbImage::from_fn(400, 300, |x, y| {
            let inside = (100..300).contains(&x) && (100..160).contains(&y);
            let top = inside && y < 112;
            let text = inside && !top && (x / 12) % 2 == 0 && (120..150).contains(&y);
            image::Rgb(match kind {
                "mercosur" if top => [20, 50, 160],
                "mercosur" if text => [15, 15, 15],
                "mercosur" if inside => [245, 245, 242],
                "ir" if text => [30, 30, 30],
                "ir" => [180, 180, 180],
                _ if text => [25, 25, 28],
                _ if inside => [190, 196, 200],
                _ => [170, 168, 172],
            })
        })
    }

    #[test]
    fn plate_cues_see_the_mercosur_band_and_its_absence() {
        let plate = [
            [100.0, 100.0],
            [300.0, 100.0],
            [300.0, 160.0],
            [100.0, 160.0],
        ];
        let band = |kind| plate_cues(&plate_on_car(kind), &plate).blue_top_band;
        assert_eq!(band("mercosur"), Some(true));
        assert_eq!(band("grey"), Some(false));
        assert_eq!(band("ir"), None, "a monochrome frame cannot tell");
        // Corners off the frame: nothing to say.
        let off = [
            [350.0, 250.0],
            [450.0, 250.0],
            [450.0, 290.0],
            [350.0, 290.0],
        ];
        assert_eq!(plate_cues(&plate_on_car("grey"), &off).blue_top_band, None);
    }
}
