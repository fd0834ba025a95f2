//! Pixel work done by hand because it is ours to get exactly right: the detector's letterbox
//! (area-averaged, the way the training data was downscaled), the perspective rectification of a
//! plate quad into the recogniser's 32×128 grey crop (the same mapping as `training/synth.py`'s
//! `rectify`), and a small homography solver.

use image::RgbImage;

/// A point in image pixels.
pub type Point = [f32; 2];

/// Corners in the order top-left, top-right, bottom-right, bottom-left.
pub type Quad = [Point; 4];

/// The recogniser's input size (rows, columns).
pub const CROP_H: usize = 32;
/// The recogniser's input width.
pub const CROP_W: usize = 128;

/// Grey value the letterbox pads with (as in training).
const PAD: f32 = 114.0 / 255.0;

/// A frame prepared for the detector: planar RGB in 0..1, padded to multiples of 32.
pub struct Letterbox {
    /// Planar data, `3 * height * width`.
    pub data: Vec<f32>,
    pub width: usize,
    pub height: usize,
    /// Detector pixels per source pixel.
    pub scale: f32,
}

/// Scales `img` so that its longer side is `long_side`, area-averaging, and pads right/bottom to a
/// multiple of 32.
pub fn letterbox(img: &RgbImage, long_side: usize) -> Letterbox {
    let (sw, sh) = (img.width() as usize, img.height() as usize);
    let scale = (long_side as f32 / sw.max(sh) as f32).min(1.0);
    let tw = ((sw as f32 * scale).round() as usize).max(1);
    let th = ((sh as f32 * scale).round() as usize).max(1);
    let width = tw.div_ceil(32) * 32;
    let height = th.div_ceil(32) * 32;
    let mut data = vec![PAD; 3 * width * height];
    let plane = width * height;
    let raw = img.as_raw();
    let fx = sw as f32 / tw as f32;
    let fy = sh as f32 / th as f32;
    for oy in 0..th {
        let y0 = (oy as f32 * fy) as usize;
        let y1 = (((oy + 1) as f32 * fy) as usize).clamp(y0 + 1, sh);
        for ox in 0..tw {
            let x0 = (ox as f32 * fx) as usize;
            let x1 = (((ox + 1) as f32 * fx) as usize).clamp(x0 + 1, sw);
            let mut acc = [0u32; 3];
            for y in y0..y1 {
                let row = &raw[(y * sw + x0) * 3..(y * sw + x1) * 3];
                for px in row.chunks_exact(3) {
                    acc[0] += px[0] as u32;
                    acc[1] += px[1] as u32;
                    acc[2] += px[2] as u32;
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as f32 * 255.0;
            let at = oy * width + ox;
            data[at] = acc[0] as f32 / n;
            data[plane + at] = acc[1] as f32 / n;
            data[2 * plane + at] = acc[2] as f32 / n;
        }
    }
    Letterbox {
        data,
        width,
        height,
        scale: tw as f32 / sw as f32,
    }
}

/// Solves the 3×3 homography (h33 = 1) mapping `src[i]` to `dst[i]`; `None` when degenerate.
pub fn homography(src: &Quad, dst: &Quad) -> Option<[f32; 9]> {
    let mut a = [[0f64; 9]; 8];
    for i in 0..4 {
        let (x, y) = (src[i][0] as f64, src[i][1] as f64);
        let (u, v) = (dst[i][0] as f64, dst[i][1] as f64);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    // Gaussian elimination with partial pivoting on the 8×8 system (last column is the rhs).
    for col in 0..8 {
        let pivot = (col..8).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))?;
        if a[pivot][col].abs() < 1e-9 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (v, p) in row.iter_mut().zip(pivot_row.iter()).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    let mut h = [0f32; 9];
    for (i, (v, row)) in h.iter_mut().zip(a.iter()).enumerate() {
        *v = (row[8] / row[i]) as f32;
    }
    h[8] = 1.0;
    Some(h)
}

/// Maps a point through a homography from [`homography`].
pub fn apply(h: &[f32; 9], x: f32, y: f32) -> (f32, f32) {
    let w = h[6] * x + h[7] * y + h[8];
    (
        (h[0] * x + h[1] * y + h[2]) / w,
        (h[3] * x + h[4] * y + h[5]) / w,
    )
}

/// A quad's mean width vector (top and bottom edges, left to right) and mean height vector (left
/// and right edges, top to bottom).
fn axes(q: &Quad) -> (Point, Point) {
    (
        [
            ((q[1][0] - q[0][0]) + (q[2][0] - q[3][0])) / 2.0,
            ((q[1][1] - q[0][1]) + (q[2][1] - q[3][1])) / 2.0,
        ],
        [
            ((q[3][0] - q[0][0]) + (q[2][0] - q[1][0])) / 2.0,
            ((q[3][1] - q[0][1]) + (q[2][1] - q[1][1])) / 2.0,
        ],
    )
}

/// Grows a quad along its own axes: `mx` of its width on each side, `my` of its height.
pub fn expand(q: &Quad, mx: f32, my: f32) -> Quad {
    let (ux, uy) = axes(q);
    let m = |p: Point, sx: f32, sy: f32| {
        [
            p[0] + sx * ux[0] * mx + sy * uy[0] * my,
            p[1] + sx * ux[1] * mx + sy * uy[1] * my,
        ]
    };
    [
        m(q[0], -1.0, -1.0),
        m(q[1], 1.0, -1.0),
        m(q[2], 1.0, 1.0),
        m(q[3], -1.0, 1.0),
    ]
}

/// The part of `q` that is `s` of its width and height, about the same centre.
pub fn share(q: &Quad, s: f32) -> Quad {
    let m = -(1.0 - s) / 2.0;
    expand(q, m, m)
}

/// `q` moved by `dx` of its own width along its top edge's direction and `dy` of its own height
/// along its side's, so a tilted plate moves along its own axes.
pub fn shift(q: &Quad, dx: f32, dy: f32) -> Quad {
    let (ux, uy) = axes(q);
    q.map(|p| {
        [
            p[0] + dx * ux[0] + dy * uy[0],
            p[1] + dx * ux[1] + dy * uy[1],
        ]
    })
}

/// Maps `quad` of `img` onto a CROP_H × CROP_W grey crop (values 0..1), bilinear with
/// supersampling when the plate is much larger than the crop, replicating edges.
pub fn rectify(img: &RgbImage, quad: &Quad) -> Option<Vec<f32>> {
    let (w, h) = (CROP_W as f32, CROP_H as f32);
    let dst: Quad = [
        [0.0, 0.0],
        [w - 1.0, 0.0],
        [w - 1.0, h - 1.0],
        [0.0, h - 1.0],
    ];
    let hm = homography(&dst, quad)?;
    let plate_w = ((quad[1][0] - quad[0][0]).hypot(quad[1][1] - quad[0][1])
        + (quad[2][0] - quad[3][0]).hypot(quad[2][1] - quad[3][1]))
        / 2.0;
    let k = ((plate_w / w / 1.5).round() as usize).clamp(1, 4);
    let step = 1.0 / k as f32;
    let (iw, ih) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let grey = |x: i64, y: i64| -> f32 {
        let x = x.clamp(0, iw - 1) as usize;
        let y = y.clamp(0, ih - 1) as usize;
        let p = &raw[(y * iw as usize + x) * 3..][..3];
        0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
    };
    let mut out = vec![0f32; CROP_H * CROP_W];
    for oy in 0..CROP_H {
        for ox in 0..CROP_W {
            let mut acc = 0.0;
            for sy in 0..k {
                for sx in 0..k {
                    let px = ox as f32 + (sx as f32 + 0.5) * step - 0.5;
                    let py = oy as f32 + (sy as f32 + 0.5) * step - 0.5;
                    let (x, y) = apply(&hm, px, py);
                    let (x0, y0) = (x.floor(), y.floor());
                    let (fx, fy) = (x - x0, y - y0);
                    let (x0, y0) = (x0 as i64, y0 as i64);
                    let top = grey(x0, y0) * (1.0 - fx) + grey(x0 + 1, y0) * fx;
                    let bottom = grey(x0, y0 + 1) * (1.0 - fx) + grey(x0 + 1, y0 + 1) * fx;
                    acc += top * (1.0 - fy) + bottom * fy;
                }
            }
            out[oy * CROP_W + ox] = acc / (k * k) as f32 / 255.0;
        }
    }
    Some(out)
}

/// The axis-aligned bounds of a quad: (x, y, width, height).
pub fn bounds(q: &Quad) -> [f32; 4] {
    let x0 = q.iter().map(|p| p[0]).fold(f32::INFINITY, f32::min);
    let y0 = q.iter().map(|p| p[1]).fold(f32::INFINITY, f32::min);
    let x1 = q.iter().map(|p| p[0]).fold(f32::NEG_INFINITY, f32::max);
    let y1 = q.iter().map(|p| p[1]).fold(f32::NEG_INFINITY, f32::max);
    [x0, y0, x1 - x0, y1 - y0]
}

/// Intersection over union of two (x, y, width, height) boxes.
pub fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let ix = ((a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0])).max(0.0);
    let iy = ((a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homography_maps_corners() {
        let src: Quad = [[0.0, 0.0], [127.0, 0.0], [127.0, 31.0], [0.0, 31.0]];
        let dst: Quad = [[10.0, 20.0], [200.0, 35.0], [190.0, 90.0], [5.0, 70.0]];
        let h = homography(&src, &dst).unwrap();
        for i in 0..4 {
            let (x, y) = apply(&h, src[i][0], src[i][1]);
            assert!((x - dst[i][0]).abs() < 1e-2 && (y - dst[i][1]).abs() < 1e-2);
        }
        assert!(homography(&src, &[[0.0, 0.0]; 4]).is_none());
    }

    #[test]
    fn letterbox_pads_to_multiples_of_32_and_averages() {
        let img = RgbImage::from_fn(1280, 720, |x, _| {
            image::Rgb([if x < 640 { 0 } else { 255 }, 0, 0])
        });
        let lb = letterbox(&img, 320);
        assert_eq!((lb.width, lb.height), (320, 192));
        assert!((lb.scale - 0.25).abs() < 1e-6);
        assert_eq!(lb.data[0], 0.0);
        assert_eq!(lb.data[319], 1.0);
        // Padding rows below the image.
        assert!((lb.data[191 * 320] - PAD).abs() < 1e-6);
    }

    #[test]
    fn rectify_reads_the_quad() {
        // Left half dark, right half bright: the crop keeps that split.
        let img = RgbImage::from_fn(400, 200, |x, _| {
            let v = if x < 200 { 20 } else { 230 };
            image::Rgb([v, v, v])
        });
        let q: Quad = [[100.0, 50.0], [300.0, 50.0], [300.0, 150.0], [100.0, 150.0]];
        let crop = rectify(&img, &q).unwrap();
        assert!(crop[16 * CROP_W + 10] < 0.2);
        assert!(crop[16 * CROP_W + 120] > 0.8);
    }

    #[test]
    fn shift_and_share_work_along_the_quads_own_axes() {
        // A quad 100 wide and 20 high, turned a quarter: its width runs down the image.
        let q: Quad = [[50.0, 0.0], [50.0, 100.0], [30.0, 100.0], [30.0, 0.0]];
        let s = shift(&q, 0.1, 0.5);
        let want: Quad = [[40.0, 10.0], [40.0, 110.0], [20.0, 110.0], [20.0, 10.0]];
        for (a, b) in s.iter().zip(&want) {
            assert!(
                (a[0] - b[0]).abs() < 1e-4 && (a[1] - b[1]).abs() < 1e-4,
                "{s:?}"
            );
        }
        assert_eq!(shift(&q, 0.0, 0.0), q);
        // Half of it about the same centre: 50 along its width, 10 across.
        let half: Quad = [[45.0, 25.0], [45.0, 75.0], [35.0, 75.0], [35.0, 25.0]];
        assert_eq!(share(&q, 0.5), half);
    }

    #[test]
    fn iou_of_boxes() {
        assert_eq!(iou([0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]), 1.0);
        assert_eq!(iou([0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 10.0, 10.0]), 0.0);
        assert!((iou([0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 10.0, 10.0]) - 1.0 / 3.0).abs() < 1e-6);
    }
}
