//! `sightline eval recognition`: any folder in the OpenALPR benchmark layout (`NAME.jpg` beside
//! `NAME.txt` holding `NAME.jpg<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE`).

use crate::{RecognizeError, Recognizer, geometry};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One labelled image.
#[derive(Debug, Clone)]
pub struct Sample {
    pub image: PathBuf,
    pub name: String,
    pub bbox: [f32; 4],
    pub plate: String,
}

/// Reads the folder's labels; a bad label file is an error naming it.
pub fn load_dataset(dir: &Path) -> Result<Vec<Sample>, RecognizeError> {
    let err = |path: &Path, message: String| RecognizeError::Dataset {
        path: path.display().to_string(),
        message,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| err(dir, e.to_string()))?;
    let mut labels: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    labels.sort();
    let mut out = Vec::new();
    for label in labels {
        let text = std::fs::read_to_string(&label).map_err(|e| err(&label, e.to_string()))?;
        let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 6 {
            return Err(err(
                &label,
                format!(
                    "expected 'NAME<TAB>x<TAB>y<TAB>width<TAB>height<TAB>PLATE', found {} field(s)",
                    fields.len()
                ),
            ));
        }
        let mut bbox = [0f32; 4];
        for (i, f) in fields[1..5].iter().enumerate() {
            bbox[i] = f
                .trim()
                .parse()
                .map_err(|_| err(&label, format!("'{f}' is not a number")))?;
        }
        let image = dir.join(fields[0].trim());
        if !image.exists() {
            return Err(err(
                &label,
                format!("names {} which does not exist", fields[0]),
            ));
        }
        out.push(Sample {
            name: fields[0].trim().to_owned(),
            image,
            bbox,
            plate: normalise(fields[5]),
        });
    }
    if out.is_empty() {
        return Err(err(dir, "no NAME.txt label files found".into()));
    }
    Ok(out)
}

/// Upper-case letters and digits only.
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A miss, with what was read.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub image: String,
    pub expected: String,
    /// The best plate read end to end (None: no plate reported).
    pub read: Option<String>,
    /// The recogniser on the ground-truth box.
    pub read_on_truth_box: Option<String>,
    /// Best IoU of a detector candidate with the labelled box.
    pub best_iou: f32,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dataset: String,
    pub images: usize,
    /// The plate regions whose layouts were accepted; empty: every known layout.
    pub regions: Vec<String>,
    /// Share of labelled plates with a detector candidate at IoU ≥ 0.5.
    pub detection_recall: f64,
    /// Share of images whose best reported plate is exactly the labelled text.
    pub end_to_end_accuracy: f64,
    /// Share of labelled boxes the recogniser reads exactly (no detector).
    pub recognizer_accuracy: f64,
    /// Share of images whose labelled text is among all plates reported.
    pub any_plate_accuracy: f64,
    /// Whole pipeline (decode, detect, read) on one thread.
    pub images_per_second: f64,
    /// Recogniser alone on one thread (rectify + network + formats).
    pub crops_per_second: f64,
    pub mean_image_ms: f64,
    /// Of which JPEG/PNG decoding.
    pub mean_decode_ms: f64,
    pub failures: Vec<Failure>,
}

/// Runs the whole evaluation on the calling thread (so the speed is per core).
pub fn evaluate(r: &Recognizer, dir: &Path) -> Result<Report, RecognizeError> {
    let samples = load_dataset(dir)?;
    let mut detected = 0usize;
    let mut exact = 0usize;
    let mut any = 0usize;
    let mut crop_ok = 0usize;
    let mut pipeline_s = 0f64;
    let mut decode_s = 0f64;
    let mut crop_s = 0f64;
    let mut failures = Vec::new();
    for s in &samples {
        let t = Instant::now();
        let img = crate::load_image(&s.image)?;
        decode_s += t.elapsed().as_secs_f64();
        let (result, dets) = r.recognize_detailed(&img)?;
        pipeline_s += t.elapsed().as_secs_f64();
        let best_iou = dets
            .iter()
            .map(|d| geometry::iou(geometry::bounds(&d.corners), s.bbox))
            .fold(0f32, f32::max);
        if best_iou >= 0.5 {
            detected += 1;
        }
        let top = result.plates.first().map(|p| p.read.text.clone());
        if top.as_deref() == Some(s.plate.as_str()) {
            exact += 1;
        }
        if result.plates.iter().any(|p| p.read.text == s.plate) {
            any += 1;
        }
        let t = Instant::now();
        let on_box = r.read_box(&img, s.bbox)?.map(|t| t.text);
        crop_s += t.elapsed().as_secs_f64();
        if on_box.as_deref() == Some(s.plate.as_str()) {
            crop_ok += 1;
        }
        if top.as_deref() != Some(s.plate.as_str()) || on_box.as_deref() != Some(s.plate.as_str()) {
            failures.push(Failure {
                image: s.name.clone(),
                expected: s.plate.clone(),
                read: top,
                read_on_truth_box: on_box,
                best_iou,
            });
        }
    }
    let n = samples.len() as f64;
    Ok(Report {
        dataset: dir.display().to_string(),
        images: samples.len(),
        regions: r.options().regions.clone(),
        detection_recall: detected as f64 / n,
        end_to_end_accuracy: exact as f64 / n,
        recognizer_accuracy: crop_ok as f64 / n,
        any_plate_accuracy: any as f64 / n,
        images_per_second: n / pipeline_s,
        crops_per_second: n / crop_s,
        mean_image_ms: pipeline_s * 1000.0 / n,
        mean_decode_ms: decode_s * 1000.0 / n,
        failures,
    })
}

/// The report as a readable table.
pub fn table(r: &Report) -> String {
    let mut s = String::new();
    let pct = |v: f64| format!("{:.1}%", v * 100.0);
    s.push_str(&format!(
        "Recognition evaluation: {} ({} images)\n",
        r.dataset, r.images
    ));
    if r.regions.is_empty() {
        s.push_str(
            "Plate layouts: every known one (--region names a deployment's countries, as \
             OpenALPR's -c does)\n\n",
        );
    } else {
        s.push_str(&format!("Plate layouts of: {}\n\n", r.regions.join(", ")));
    }
    let figures = [
        ("detection recall (IoU >= 0.5)", pct(r.detection_recall)),
        (
            "exact plate, end to end (top-1)",
            pct(r.end_to_end_accuracy),
        ),
        ("exact plate, any plate reported", pct(r.any_plate_accuracy)),
        (
            "exact plate, ground-truth crops",
            pct(r.recognizer_accuracy),
        ),
        (
            "images/s, one core (decode+all)",
            format!("{:.1}", r.images_per_second),
        ),
        (
            "crops/s, one core (recogniser)",
            format!("{:.1}", r.crops_per_second),
        ),
        (
            "mean ms per image (of it decode)",
            format!("{:>8.1} ({:.1})", r.mean_image_ms, r.mean_decode_ms),
        ),
    ];
    for (label, value) in figures {
        s.push_str(&format!("  {label:<34}{value:>8}\n"));
    }
    if !r.failures.is_empty() {
        s.push_str(&format!("\nFailures ({}):\n", r.failures.len()));
        s.push_str(&format!(
            "  {:<24} {:<10} {:<10} {:<10} {:>5}\n",
            "image", "expected", "read", "on box", "IoU"
        ));
        for f in &r.failures {
            s.push_str(&format!(
                "  {:<24} {:<10} {:<10} {:<10} {:>5.2}\n",
                f.image,
                f.expected,
                f.read.as_deref().unwrap_or("-"),
                f.read_on_truth_box.as_deref().unwrap_or("-"),
                f.best_iou
            ));
        }
    }
    s
}
