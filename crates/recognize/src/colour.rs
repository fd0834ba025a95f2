//! The vehicle's dominant colour: the body region just above the plate (bumper, boot lid or
//! grille surround), each pixel put in a small named palette, and the most common name wins.

use crate::geometry::Quad;
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
}
