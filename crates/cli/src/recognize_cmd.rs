//! `sightline recognize` and `sightline eval recognition`.

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::json;
use sightline_recognize::{Options, Recognizer};
use std::path::{Path, PathBuf};

/// Options shared by everything that runs the recogniser.
#[derive(Args, Debug, Clone)]
pub struct RecognizerArgs {
    /// Plate regions to accept: BR, US (or a state: US-CA, US-IL, US-FL, US-MA, US-NJ, US-MD),
    /// European countries by ISO code (DE, FR, IT, ES, GB, NL, PL, RO, CZ, SK, BE, PT, SE, NO,
    /// DK, FI, HU, HR, GR, BG, RS, LT, LV, EE) or EUROPE for all of those; repeat or
    /// comma-separate. Default: every known layout.
    #[arg(long = "region", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Also report text that fits no known plate layout.
    #[arg(long)]
    pub any_format: bool,
    /// Long side of the frame as the detector sees it, pixels.
    #[arg(long, default_value_t = 320)]
    pub detector_size: usize,
    /// Minimum detector confidence for a plate candidate.
    #[arg(long, default_value_t = 0.3)]
    pub detection_threshold: f32,
    /// Take a zoomed second look at each plate candidate (about 1.2x the time; with the
    /// committed models it reads openalpr-br worse, see the README's figures).
    #[arg(long)]
    pub refine: bool,
    /// Crops read per plate candidate, each with other margins (1 to 3); they decide the reading
    /// together (highest CTC likelihood averaged over the crops).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub crops_per_plate: u8,
}

impl RecognizerArgs {
    pub fn build(&self) -> Result<Recognizer> {
        if !(0.0..=1.0).contains(&self.detection_threshold) {
            bail!("--detection-threshold must be between 0 and 1");
        }
        Ok(Recognizer::new(Options {
            detector_size: self.detector_size,
            detection_threshold: self.detection_threshold,
            regions: self.regions.clone(),
            any_format: self.any_format,
            refine: self.refine,
            crops_per_plate: self.crops_per_plate as usize,
        })?)
    }
}

pub fn is_image(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
}

/// Files named directly, and the images directly inside named folders (sorted).
fn collect(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot list {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && is_image(f))
                .collect();
            files.sort();
            out.extend(files);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            bail!("{} does not exist", p.display());
        }
    }
    Ok(out)
}

pub fn recognize(
    inputs: &[PathBuf],
    args: &RecognizerArgs,
    as_json: bool,
    threads: Option<usize>,
) -> Result<bool> {
    let files = collect(inputs)?;
    if files.is_empty() {
        bail!("no images (.jpg, .jpeg, .png) found in the given paths");
    }
    let r = args.build()?;
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, files.len());
    // Work is split across threads; results are printed in input order.
    let results: Vec<_> = std::thread::scope(|s| {
        let chunks: Vec<Vec<(usize, &PathBuf)>> = (0..threads)
            .map(|t| files.iter().enumerate().skip(t).step_by(threads).collect())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let r = &r;
                s.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|(i, f)| {
                            (
                                i,
                                sightline_recognize::load_image(f)
                                    .and_then(|img| r.recognize(&img)),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("recognition thread"))
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all
    });
    let mut ok = true;
    let mut out = Vec::new();
    for (i, res) in results {
        let path = files[i].display().to_string();
        match res {
            Ok(r) => {
                if as_json {
                    out.push(json!({ "image": path, "width": r.width, "height": r.height, "plates": r.plates, "rejected_candidates": r.rejected }));
                } else if r.plates.is_empty() {
                    println!("{path}: no plate");
                } else {
                    for p in &r.plates {
                        let [x, y, w, h] = p.bbox;
                        println!(
                            "{path}: {} confidence {:.2} {} box {:.0},{:.0} {:.0}x{:.0}{}",
                            p.read.text,
                            p.read.confidence,
                            p.read
                                .region
                                .map(str::to_owned)
                                .unwrap_or_else(|| format!("[{}]", p.read.regions.join("|"))),
                            x,
                            y,
                            w,
                            h,
                            p.colour
                                .as_ref()
                                .map(|c| format!(" colour {}", c.name))
                                .unwrap_or_default()
                        );
                    }
                }
            }
            Err(e) => {
                ok = false;
                if as_json {
                    out.push(json!({ "image": path, "error": e.to_string() }));
                } else {
                    eprintln!("{path}: {e}");
                }
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(ok)
}

/// What `eval recognition` needs for a folder in the `boxes.csv` layout.
pub struct BoxesArgs {
    pub split: String,
    pub labels: Option<PathBuf>,
}

pub fn eval(
    dir: &Path,
    boxes: &BoxesArgs,
    args: &RecognizerArgs,
    json_out: Option<&Path>,
    as_json: bool,
) -> Result<bool> {
    let r = args.build()?;
    if dir.join("boxes.csv").exists() {
        let labels = match &boxes.labels {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                sightline_recognize::boxes::parse_labels(&text, p)?
            }
            None => Vec::new(),
        };
        let report = sightline_recognize::boxes::evaluate(&r, dir, &boxes.split, &labels)?;
        if let Some(p) = json_out {
            std::fs::write(p, serde_json::to_vec_pretty(&report)?)
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        if as_json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", sightline_recognize::boxes::table(&report));
        }
        return Ok(true);
    }
    if boxes.labels.is_some() {
        bail!("--labels needs a folder with a boxes.csv");
    }
    let report = sightline_recognize::eval::evaluate(&r, dir)?;
    if let Some(p) = json_out {
        std::fs::write(p, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", sightline_recognize::eval::table(&report));
    }
    Ok(true)
}
