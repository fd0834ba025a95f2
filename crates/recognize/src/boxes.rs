//! `sightline eval recognition` on a folder in the `boxes.csv` layout (`openimages-plates`,
//! `ro-dashcam-boxes`: `split,image,xmin,ymin,xmax,ymax`, several plates per image, no text),
//! optionally with hand-labelled plate text (`training/labels/*.tsv`, see `training/labels.py`).
//!
//! Figures per labelled box, not per image: detection recall by plate width band (a detector
//! candidate at IoU ≥ 0.5, as in [`crate::eval`]); for the legible text labels, the text read on
//! the ground-truth box (no detector) and end to end (the reported plate that overlaps the box
//! most, at IoU ≥ [`E2E_IOU`], reads exactly the label); and how well the readings' confidence
//! is calibrated. Unboxed plates are unknown, so there is no precision figure.

use crate::{RecognizeError, Recognizer, geometry};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

/// Plate width bands (pixels of the image as stored), lower bounds; the bands.
pub const BANDS: [(f32, &str); 4] = [
    (0.0, "< 30 px"),
    (30.0, "30-40 px"),
    (40.0, "40-80 px"),
    (80.0, ">= 80 px"),
];

/// Overlap a reported plate needs with a labelled box to count as its reading (the reading's box
/// may be a tighter share of the detector's outline, so less than the detection criterion).
pub const E2E_IOU: f32 = 0.3;

/// The text marker of a box too poor to read (`training/labels.py`).
pub const ILLEGIBLE: &str = "illegible";

/// One plate box: image file name and (x, y, width, height).
#[derive(Debug, Clone, PartialEq)]
pub struct PlateBox {
    pub image: String,
    pub bbox: [f32; 4],
}

/// One hand-labelled box.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLabel {
    pub plate: PlateBox,
    /// `A-Z0-9`, or [`ILLEGIBLE`].
    pub text: String,
    pub region: String,
    /// `train` or `dev`.
    pub split: String,
}

impl TextLabel {
    pub fn legible(&self) -> bool {
        self.text != ILLEGIBLE
    }
}

fn dataset_err(path: &Path, message: String) -> RecognizeError {
    RecognizeError::Dataset {
        path: path.display().to_string(),
        message,
    }
}

fn corners_to_box(f: &[&str], path: &Path, line: usize) -> Result<[f32; 4], RecognizeError> {
    let mut v = [0f32; 4];
    for (i, s) in f.iter().enumerate() {
        v[i] = s
            .trim()
            .parse()
            .map_err(|_| dataset_err(path, format!("line {line}: '{s}' is not a number")))?;
    }
    if !(v[2] > v[0] && v[3] > v[1]) {
        return Err(dataset_err(path, format!("line {line}: empty box")));
    }
    Ok([v[0], v[1], v[2] - v[0], v[3] - v[1]])
}

/// Parses `boxes.csv` (`split,image,xmin,ymin,xmax,ymax` with that header); `(split, box)`.
pub fn parse_boxes(text: &str, path: &Path) -> Result<Vec<(String, PlateBox)>, RecognizeError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == "split,image,xmin,ymin,xmax,ymax" => {}
        _ => {
            return Err(dataset_err(
                path,
                "header must be split,image,xmin,ymin,xmax,ymax".into(),
            ));
        }
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 6 {
            return Err(dataset_err(
                path,
                format!("line {}: expected 6 fields, found {}", i + 1, f.len()),
            ));
        }
        let bbox = corners_to_box(&f[2..6], path, i + 1)?;
        out.push((
            f[0].trim().to_owned(),
            PlateBox {
                image: f[1].trim().to_owned(),
                bbox,
            },
        ));
    }
    Ok(out)
}

/// Parses a text-label file (`image xmin ymin xmax ymax text region split`, tab-separated, with
/// that header; `training/labels.py` is the reference and checks more).
pub fn parse_labels(text: &str, path: &Path) -> Result<Vec<TextLabel>, RecognizeError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.split('\t').collect::<Vec<_>>() == LABEL_HEADER => {}
        _ => {
            return Err(dataset_err(
                path,
                format!("header must be {}", LABEL_HEADER.join("<TAB>")),
            ));
        }
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != LABEL_HEADER.len() {
            return Err(dataset_err(
                path,
                format!(
                    "line {}: expected {} tab-separated fields, found {}",
                    i + 1,
                    LABEL_HEADER.len(),
                    f.len()
                ),
            ));
        }
        let text = f[5].to_owned();
        if text != ILLEGIBLE
            && (text.is_empty()
                || !text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()))
        {
            return Err(dataset_err(
                path,
                format!(
                    "line {}: text '{text}' must be A-Z0-9 or '{ILLEGIBLE}'",
                    i + 1
                ),
            ));
        }
        out.push(TextLabel {
            plate: PlateBox {
                image: f[0].to_owned(),
                bbox: corners_to_box(&f[1..5], path, i + 1)?,
            },
            text,
            region: f[6].to_owned(),
            split: f[7].to_owned(),
        });
    }
    Ok(out)
}

const LABEL_HEADER: [&str; 8] = [
    "image", "xmin", "ymin", "xmax", "ymax", "text", "region", "split",
];

/// Index of the band a plate of this width falls in.
pub fn band(width: f32) -> usize {
    BANDS.iter().rposition(|&(lo, _)| width >= lo).unwrap_or(0)
}

/// Recall in one width band.
#[derive(Debug, Clone, Serialize, Default)]
pub struct BandRecall {
    pub band: String,
    pub boxes: usize,
    pub detected: usize,
    pub recall: f64,
}

/// Readings of labelled boxes whose confidence fell in one range, and how many were right.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationBin {
    pub from: f32,
    pub to: f32,
    pub readings: usize,
    pub right: usize,
    pub accuracy: f64,
    pub mean_confidence: f64,
}

/// A legible labelled box not read right end to end or on its box.
#[derive(Debug, Clone, Serialize)]
pub struct TextFailure {
    pub image: String,
    pub width: f32,
    pub expected: String,
    pub region: String,
    pub read: Option<String>,
    pub read_on_truth_box: Option<String>,
    pub best_iou: f32,
}

/// The figures for a `boxes.csv` folder.
#[derive(Debug, Clone, Serialize)]
pub struct BoxReport {
    pub dataset: String,
    pub split: String,
    pub images: usize,
    pub regions: Vec<String>,
    pub boxes: usize,
    /// Share of boxes with a detector candidate at IoU ≥ 0.5, all widths.
    pub detection_recall: f64,
    pub bands: Vec<BandRecall>,
    /// Legible labelled boxes in these images (0 without labels).
    pub labelled: usize,
    /// Of them, read exactly end to end.
    pub end_to_end_accuracy: f64,
    /// Of them, read exactly on the ground-truth box (no detector).
    pub recognizer_accuracy: f64,
    /// Of them, a detector candidate at IoU ≥ 0.5.
    pub labelled_detection_recall: f64,
    /// End-to-end readings of labelled boxes by confidence.
    pub calibration: Vec<CalibrationBin>,
    pub images_per_second: f64,
    pub failures: Vec<TextFailure>,
}

/// Confidence ranges of the calibration table.
const CALIBRATION_EDGES: [f32; 6] = [0.0, 0.5, 0.8, 0.9, 0.95, 1.0001];

/// Evaluates `split` of the folder `dir` (holding `boxes.csv` and the images), with the legible
/// `labels` of those images (any split name in the file; matched by image and box).
pub fn evaluate(
    r: &Recognizer,
    dir: &Path,
    split: &str,
    labels: &[TextLabel],
) -> Result<BoxReport, RecognizeError> {
    let csv = dir.join("boxes.csv");
    let text = std::fs::read_to_string(&csv).map_err(|e| dataset_err(&csv, e.to_string()))?;
    let all = parse_boxes(&text, &csv)?;
    let mut by_image: BTreeMap<String, Vec<[f32; 4]>> = BTreeMap::new();
    for (s, b) in all.into_iter().filter(|(s, _)| s == split) {
        debug_assert_eq!(s, split);
        by_image.entry(b.image).or_default().push(b.bbox);
    }
    if by_image.is_empty() {
        return Err(dataset_err(&csv, format!("no boxes in split '{split}'")));
    }
    let images: HashSet<&String> = by_image.keys().collect();
    let mut texts: BTreeMap<&str, Vec<&TextLabel>> = BTreeMap::new();
    for l in labels
        .iter()
        .filter(|l| l.legible() && images.contains(&l.plate.image))
    {
        texts.entry(l.plate.image.as_str()).or_default().push(l);
    }
    let mut bands: Vec<BandRecall> = BANDS
        .iter()
        .map(|(_, name)| BandRecall {
            band: (*name).to_owned(),
            ..Default::default()
        })
        .collect();
    let (mut labelled, mut e2e, mut crop_ok, mut lab_det) = (0usize, 0usize, 0usize, 0usize);
    let mut calib: Vec<(f32, bool)> = Vec::new();
    let mut failures = Vec::new();
    let mut seconds = 0f64;
    for (name, boxes) in &by_image {
        let t = Instant::now();
        let img = crate::load_image(&dir.join(name))?;
        let (result, dets) = r.recognize_detailed(&img)?;
        seconds += t.elapsed().as_secs_f64();
        let best_iou = |b: [f32; 4]| {
            dets.iter()
                .map(|d| geometry::iou(geometry::bounds(&d.corners), b))
                .fold(0f32, f32::max)
        };
        for &b in boxes {
            let band = &mut bands[band(b[2])];
            band.boxes += 1;
            if best_iou(b) >= 0.5 {
                band.detected += 1;
            }
        }
        for l in texts.get(name.as_str()).into_iter().flatten() {
            let b = l.plate.bbox;
            labelled += 1;
            let iou = best_iou(b);
            if iou >= 0.5 {
                lab_det += 1;
            }
            let read = result
                .plates
                .iter()
                .map(|p| (geometry::iou(p.bbox, b), p))
                .filter(|(o, _)| *o >= E2E_IOU)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, p)| p);
            let right = read.is_some_and(|p| p.read.text == l.text);
            if right {
                e2e += 1;
            }
            if let Some(p) = read {
                calib.push((p.read.confidence, right));
            }
            let on_box = r.read_box(&img, b)?.map(|t| t.text);
            if on_box.as_deref() == Some(l.text.as_str()) {
                crop_ok += 1;
            }
            if !right || on_box.as_deref() != Some(l.text.as_str()) {
                failures.push(TextFailure {
                    image: name.clone(),
                    width: b[2],
                    expected: l.text.clone(),
                    region: l.region.clone(),
                    read: read.map(|p| p.read.text.clone()),
                    read_on_truth_box: on_box,
                    best_iou: iou,
                });
            }
        }
    }
    for b in &mut bands {
        b.recall = share(b.detected, b.boxes);
    }
    let boxes: usize = bands.iter().map(|b| b.boxes).sum();
    let detected: usize = bands.iter().map(|b| b.detected).sum();
    let calibration = CALIBRATION_EDGES
        .windows(2)
        .map(|w| {
            let inside: Vec<&(f32, bool)> = calib
                .iter()
                .filter(|(c, _)| *c >= w[0] && *c < w[1])
                .collect();
            let right = inside.iter().filter(|(_, ok)| *ok).count();
            CalibrationBin {
                from: w[0],
                to: w[1].min(1.0),
                readings: inside.len(),
                right,
                accuracy: share(right, inside.len()),
                mean_confidence: if inside.is_empty() {
                    0.0
                } else {
                    inside.iter().map(|(c, _)| *c as f64).sum::<f64>() / inside.len() as f64
                },
            }
        })
        .collect();
    Ok(BoxReport {
        dataset: dir.display().to_string(),
        split: split.to_owned(),
        images: by_image.len(),
        regions: r.options().regions.clone(),
        boxes,
        detection_recall: share(detected, boxes),
        bands,
        labelled,
        end_to_end_accuracy: share(e2e, labelled),
        recognizer_accuracy: share(crop_ok, labelled),
        labelled_detection_recall: share(lab_det, labelled),
        calibration,
        images_per_second: by_image.len() as f64 / seconds,
        failures,
    })
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

/// The report as a readable table.
pub fn table(r: &BoxReport) -> String {
    let pct = |v: f64| format!("{:.1}%", v * 100.0);
    let mut s = format!(
        "Recognition evaluation: {} split '{}' ({} images, {} plate boxes)\n",
        r.dataset, r.split, r.images, r.boxes
    );
    if r.regions.is_empty() {
        s.push_str("Plate layouts: every known one\n\n");
    } else {
        s.push_str(&format!("Plate layouts of: {}\n\n", r.regions.join(", ")));
    }
    s.push_str(&format!(
        "  {:<34}{:>8}  ({} boxes)\n",
        "detection recall (IoU >= 0.5)",
        pct(r.detection_recall),
        r.boxes
    ));
    for b in &r.bands {
        s.push_str(&format!(
            "    {:<32}{:>8}  ({}/{})\n",
            b.band,
            pct(b.recall),
            b.detected,
            b.boxes
        ));
    }
    if r.labelled > 0 {
        s.push_str(&format!("\nLegible labelled plates: {}\n", r.labelled));
        for (label, v) in [
            ("detection recall (IoU >= 0.5)", r.labelled_detection_recall),
            ("exact plate, end to end", r.end_to_end_accuracy),
            ("exact plate, ground-truth box", r.recognizer_accuracy),
        ] {
            s.push_str(&format!("  {label:<34}{:>8}\n", pct(v)));
        }
        s.push_str("\nCalibration (end-to-end readings of labelled plates by confidence):\n");
        s.push_str("  confidence   readings  right  accuracy  mean confidence\n");
        for c in &r.calibration {
            s.push_str(&format!(
                "  {:.2}-{:.2}   {:>8}  {:>5}  {:>8}  {:>15.2}\n",
                c.from,
                c.to,
                c.readings,
                c.right,
                if c.readings > 0 {
                    pct(c.accuracy)
                } else {
                    "-".into()
                },
                c.mean_confidence
            ));
        }
    }
    s.push_str(&format!(
        "\n  {:<34}{:>8.1}\n",
        "images/s, one core (decode+all)", r.images_per_second
    ));
    if !r.failures.is_empty() {
        s.push_str(&format!(
            "\nMisread labelled plates ({}):\n",
            r.failures.len()
        ));
        s.push_str(&format!(
            "  {:<22} {:>4} {:<6} {:<10} {:<10} {:<10} {:>5}\n",
            "image", "px", "region", "expected", "read", "on box", "IoU"
        ));
        for f in &r.failures {
            s.push_str(&format!(
                "  {:<22} {:>4.0} {:<6} {:<10} {:<10} {:<10} {:>5.2}\n",
                f.image,
                f.width,
                f.region,
                f.expected,
                f.read.as_deref().unwrap_or("-"),
                f.read_on_truth_box.as_deref().unwrap_or("-"),
                f.best_iou
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_csv() {
        let p = Path::new("boxes.csv");
        let b = parse_boxes(
            "split,image,xmin,ymin,xmax,ymax\ntrain,a.jpg,10,20,70,40\n\nvalid,b.jpg,0.5,1,2.5,2\n",
            p,
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].0, "train");
        assert_eq!(b[0].1.bbox, [10.0, 20.0, 60.0, 20.0]);
        assert_eq!(b[1].1.image, "b.jpg");
        assert!(parse_boxes("image,x\n", p).is_err());
        assert!(parse_boxes("split,image,xmin,ymin,xmax,ymax\nt,a,1,2,3\n", p).is_err());
        let e = parse_boxes("split,image,xmin,ymin,xmax,ymax\nt,a,5,2,3,4\n", p).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn labels_tsv() {
        let p = Path::new("l.tsv");
        let head = "image\txmin\tymin\txmax\tymax\ttext\tregion\tsplit\n";
        let l = parse_labels(
            &format!("{head}a.jpg\t1\t2\t81\t22\tAB12\tUS-CA\ttrain\na.jpg\t100\t2\t170\t30\tillegible\t?\ttrain\n"),
            p,
        )
        .unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].plate.bbox, [1.0, 2.0, 80.0, 20.0]);
        assert!(l[0].legible() && !l[1].legible());
        assert_eq!(l[0].region, "US-CA");
        for bad in [
            "a.jpg\t1\t2\t3\t4\tab\t?\ttrain",
            "a.jpg\t1\t2\t3\t4\t\t?\ttrain",
            "a.jpg\t1\t2\t3\tx\tAB\t?\ttrain",
            "a.jpg\t1\t2\t3\t4\tAB\t?",
        ] {
            assert!(parse_labels(&format!("{head}{bad}\n"), p).is_err(), "{bad}");
        }
        assert!(parse_labels("a.jpg\t1\t2\t3\t4\tAB\t?\ttrain\n", p).is_err());
    }

    /// The committed label file parses here as well as in Python.
    #[test]
    fn committed_labels_parse() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../training/labels/openimages-plates.tsv");
        let text = std::fs::read_to_string(&path).unwrap();
        let l = parse_labels(&text, &path).unwrap();
        assert!(l.len() > 800);
        assert!(l.iter().all(|x| x.split == "train" || x.split == "dev"));
    }

    #[test]
    fn bands() {
        assert_eq!(band(10.0), 0);
        assert_eq!(band(30.0), 1);
        assert_eq!(band(39.9), 1);
        assert_eq!(band(40.0), 2);
        assert_eq!(band(80.0), 3);
        assert_eq!(band(500.0), 3);
    }
}
