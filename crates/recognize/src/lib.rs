//! Plate recognition on CPU, offline, with Sightline's own models.
//!
//! Two stages, both small ONNX networks trained by `training/train.py` and embedded in the binary:
//!
//! 1. the **detector** looks at the frame letterboxed to 320 px on its long side and, at stride 4,
//!    predicts a plate-centre heat map and the plate's four corners;
//! 2. each found plate is rectified by its corners into a 32×128 grey crop and the **recogniser**
//!    (a CTC network whose 64 time steps are the top feature row then the bottom one, so two-row
//!    plates read line by line) gives a probability for every character at every position.
//!
//! Each plate is read through a few crops (margins around its corners; tighter boxes too when the
//! detector may have outlined the plate's recess). Per-country [`formats`] turn each crop's
//! output into the best reading under every real plate layout (fixing 0/O-style confusions with
//! the probabilities), the crops pick one of those together by CTC likelihood, and candidates
//! that fit no layout are rejected; where a country's layouts differ in design (Brazil's grey
//! plates and blue-banded Mercosur plates), the plate's own colours weigh in. The vehicle's
//! dominant [`colour`] comes from the body region above the plate.
//!
//! Inference is [tract](https://github.com/sonos/tract) (pure Rust), one thread per call; callers
//! that live on an async runtime run it on a blocking thread.

pub mod boxes;
pub mod colour;
pub mod eval;
pub mod formats;
pub mod geometry;

use geometry::{CROP_H, CROP_W, Quad};
use image::RgbImage;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tract_onnx::prelude::*;

/// The recogniser's characters, in output order after the CTC blank.
pub const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

const DETECTOR_ONNX: &[u8] = include_bytes!("../models/detector.onnx");
const RECOGNIZER_ONNX: &[u8] = include_bytes!("../models/recognizer.onnx");

/// Environment variables naming ONNX files that replace the embedded models, so that candidate
/// models can be evaluated (`sightline eval recognition`) without rebuilding; unset in production.
pub const DETECTOR_ENV: &str = "SIGHTLINE_DETECTOR_ONNX";
/// See [`DETECTOR_ENV`].
pub const RECOGNIZER_ENV: &str = "SIGHTLINE_RECOGNIZER_ONNX";

/// The embedded model, or the file the environment variable `var` names.
fn model_bytes(
    var: &str,
    embedded: &'static [u8],
) -> Result<std::borrow::Cow<'static, [u8]>, RecognizeError> {
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => std::fs::read(&path)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| {
                RecognizeError::Config(format!("{var}={}: {e}", Path::new(&path).display()))
            }),
        _ => Ok(std::borrow::Cow::Borrowed(embedded)),
    }
}

/// Corner offsets are predicted in units of this many detector pixels (see training/train.py).
const OFFSET_SCALE: f32 = 64.0;

/// Input size of the detector's zoomed second look.
const REFINE_SIZE: usize = 192;

/// Margins (share of plate width, of plate height) of the crops read per plate, in order. None is
/// tighter than the detector's corners: those hug the plate, and a crop on them can clip the first
/// or last character against the plate's rim.
const CROP_MARGINS: [(f32, f32); 3] = [(0.03, 0.06), (0.06, 0.1), (0.0, 0.0)];

/// A candidate this sure that yields no reading gets the zoomed second look even when
/// `refine` is off.
const FALLBACK_REFINE_SCORE: f32 = 0.5;

/// A reading less sure than this (whole-text probability) from a confident candidate is doubtful:
/// the candidate is also read through [`TIGHTER`] boxes.
const DOUBTFUL: f32 = 0.1;

/// Shares of a doubtful candidate's width and height tried as tighter boxes about its centre: a
/// plate's recess or holder is typically 1.25 to 2 times the plate.
const TIGHTER: [f32; 3] = [0.8, 0.65, 0.5];

/// A reading less sure than this (whole-text probability) gets a second opinion
/// ([`Recognizer::second_opinion`]).
const UNSURE: f32 = 0.5;

/// Moves of a plate's outline (share of its width, of its height) read for a second opinion:
/// about the detector's centre error on real plates, which the recogniser's tuning crops were
/// also cut with (training/README.md).
const NUDGES: [(f32, f32); 4] = [(-0.06, 0.0), (0.06, 0.0), (0.0, -0.1), (0.0, 0.1)];

/// The recogniser's output for one crop: per step, blank then each of [`ALPHABET`].
type Steps = Vec<[f32; 37]>;

/// One outline of a plate candidate and the recogniser's steps for its crops.
struct View {
    quad: geometry::Quad,
    crops: Vec<Steps>,
    /// Whether its crops vote on the text, or only help place the box.
    votes: bool,
}

/// Most plates read per frame.
const MAX_PLATES: usize = 8;

/// Everything that can go wrong here.
#[derive(Debug, thiserror::Error)]
pub enum RecognizeError {
    #[error("cannot read image {path}: {message}")]
    Image { path: String, message: String },
    #[error("model error: {0}")]
    Model(String),
    #[error("{0}")]
    Config(String),
    #[error("{path}: {message}")]
    Dataset { path: String, message: String },
}

fn model_err(e: impl std::fmt::Display) -> RecognizeError {
    RecognizeError::Model(e.to_string())
}

type Plan = TypedRunnableModel<TypedModel>;

/// Tunables, with the defaults the evaluation figures were measured with.
#[derive(Debug, Clone)]
pub struct Options {
    /// Long side of the frame as the detector sees it (rounded up to a multiple of 32).
    pub detector_size: usize,
    /// Minimum plate-centre heat for a candidate.
    pub detection_threshold: f32,
    /// Regions whose formats are accepted (`BR`, `DE`, `US`, `US-CA`, …); empty means all.
    pub regions: Vec<String>,
    /// Accept readings that fit no known format (reported with `format: null`).
    pub any_format: bool,
    /// Take a zoomed second look at each candidate. Off by default: with the committed models it
    /// costs about a fifth more time per frame and does worse on openalpr-br (`--region BR`: end
    /// to end 92.1% instead of 96.5%, recall 96.5% instead of 98.2%). Without it, only confident
    /// candidates that yield no reading get the second look.
    pub refine: bool,
    /// Crops read per plate candidate (1..=3), each with other margins; they decide the reading
    /// together (the highest CTC likelihood averaged over the crops).
    pub crops_per_plate: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            detector_size: 320,
            detection_threshold: 0.3,
            regions: Vec::new(),
            any_format: false,
            refine: false,
            crops_per_plate: 2,
        }
    }
}

/// One character as read.
#[derive(Debug, Clone, Serialize)]
pub struct CharRead {
    pub char: char,
    pub confidence: f32,
}

/// The text of one plate crop.
#[derive(Debug, Clone, Serialize)]
pub struct TextRead {
    /// Plate text, characters only (no spaces or dashes).
    pub text: String,
    /// Probability that the whole text is right (product of the characters' probabilities).
    pub confidence: f32,
    pub chars: Vec<CharRead>,
    /// The layout the text was read under, e.g. `BR-mercosur`; `None` with `any_format`.
    pub format: Option<&'static str>,
    /// The region when the layout belongs to one region only (`BR`, `DE`, `US-CA`, …).
    pub region: Option<&'static str>,
    /// Every region whose layouts give the same text (e.g. `BR` and `US` for `ABC1234`).
    pub regions: Vec<&'static str>,
}

/// One plate found in an image.
#[derive(Debug, Clone, Serialize)]
pub struct PlateRead {
    #[serde(flatten)]
    pub read: TextRead,
    /// Axis-aligned box in image pixels: x, y, width, height.
    pub bbox: [f32; 4],
    /// Corners in image pixels: top-left, top-right, bottom-right, bottom-left.
    pub corners: Quad,
    /// Detector confidence.
    pub detection: f32,
    /// Dominant vehicle colour above the plate.
    pub colour: Option<colour::Colour>,
}

/// A detector candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    pub score: f32,
    pub corners: Quad,
}

/// Everything found in one image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageResult {
    pub width: u32,
    pub height: u32,
    pub plates: Vec<PlateRead>,
    /// Detector candidates whose text fit no plate format.
    pub rejected: usize,
}

/// The two models, ready to run. Cheap to share between threads.
pub struct Recognizer {
    options: Options,
    formats: Vec<formats::Format>,
    detector: InferenceModel,
    detector_plans: Mutex<HashMap<(usize, usize), Arc<Plan>>>,
    recognizer: Plan,
}

impl Recognizer {
    /// Loads the embedded models.
    pub fn new(options: Options) -> Result<Recognizer, RecognizeError> {
        if options.detector_size < 64 || options.detector_size > 2048 {
            return Err(RecognizeError::Config(format!(
                "detector size {} is outside 64..=2048",
                options.detector_size
            )));
        }
        let formats = formats::for_regions(&options.regions).map_err(RecognizeError::Config)?;
        let detector_onnx = model_bytes(DETECTOR_ENV, DETECTOR_ONNX)?;
        let recognizer_onnx = model_bytes(RECOGNIZER_ENV, RECOGNIZER_ONNX)?;
        let detector = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(&detector_onnx[..]))
            .map_err(model_err)?;
        let recognizer = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(&recognizer_onnx[..]))
            .map_err(model_err)?
            .with_input_fact(0, f32::fact([1, 1, CROP_H, CROP_W]).into())
            .map_err(model_err)?
            .into_optimized()
            .map_err(model_err)?
            .into_runnable()
            .map_err(model_err)?;
        Ok(Recognizer {
            options,
            formats,
            detector,
            detector_plans: Mutex::new(HashMap::new()),
            recognizer,
        })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The detector compiled for one input shape (each aspect ratio compiles once).
    fn detector_plan(&self, w: usize, h: usize) -> Result<Arc<Plan>, RecognizeError> {
        let mut plans = self
            .detector_plans
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(p) = plans.get(&(w, h)) {
            return Ok(p.clone());
        }
        let plan = Arc::new(
            self.detector
                .clone()
                .with_input_fact(0, f32::fact([1, 3, h, w]).into())
                .map_err(model_err)?
                .into_optimized()
                .map_err(model_err)?
                .into_runnable()
                .map_err(model_err)?,
        );
        plans.insert((w, h), plan.clone());
        Ok(plan)
    }

    /// One detector pass over `img` letterboxed to `long_side`: every heat peak above
    /// `threshold`, in `img` pixels.
    fn detect_pass(
        &self,
        img: &RgbImage,
        long_side: usize,
        threshold: f32,
    ) -> Result<Vec<Detection>, RecognizeError> {
        let lb = geometry::letterbox(img, long_side);
        let plan = self.detector_plan(lb.width, lb.height)?;
        let input =
            Tensor::from_shape(&[1, 3, lb.height, lb.width], &lb.data).map_err(model_err)?;
        let out = plan.run(tvec!(input.into())).map_err(model_err)?;
        let map = out[0].to_array_view::<f32>().map_err(model_err)?;
        let shape = map.shape().to_vec();
        if shape.len() != 4 || shape[1] != 9 {
            return Err(RecognizeError::Model(format!(
                "detector output has shape {shape:?}, expected [1, 9, h, w]"
            )));
        }
        let (gh, gw) = (shape[2], shape[3]);
        let heat = |y: usize, x: usize| map[[0, 0, y, x]];
        let mut found = Vec::new();
        for y in 0..gh {
            for x in 0..gw {
                let v = heat(y, x);
                if v < threshold {
                    continue;
                }
                let mut peak = true;
                'n: for dy in -1i64..=1 {
                    for dx in -1i64..=1 {
                        let (ny, nx) = (y as i64 + dy, x as i64 + dx);
                        if (dy, dx) != (0, 0)
                            && ny >= 0
                            && nx >= 0
                            && (ny as usize) < gh
                            && (nx as usize) < gw
                            && heat(ny as usize, nx as usize) > v
                        {
                            peak = false;
                            break 'n;
                        }
                    }
                }
                if !peak {
                    continue;
                }
                let (cx, cy) = (x as f32 * 4.0 + 1.5, y as f32 * 4.0 + 1.5);
                let mut corners = [[0f32; 2]; 4];
                for (k, c) in corners.iter_mut().enumerate() {
                    c[0] = (cx + map[[0, 1 + 2 * k, y, x]] * OFFSET_SCALE) / lb.scale;
                    c[1] = (cy + map[[0, 2 + 2 * k, y, x]] * OFFSET_SCALE) / lb.scale;
                }
                found.push(Detection { score: v, corners });
            }
        }
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(found)
    }

    /// Second look: the region around a candidate, zoomed so the plate fills a good share of the
    /// detector's view, gives tighter corners. Keeps the first look when the second finds nothing
    /// near the centre.
    fn refine(&self, img: &RgbImage, d: &Detection) -> Result<Detection, RecognizeError> {
        let [x, y, w, h] = geometry::bounds(&d.corners);
        let side = (w * 2.2).max(h * 5.0).max(32.0);
        let (cx, cy) = (x + w / 2.0, y + h / 2.0);
        let (iw, ih) = (img.width() as f32, img.height() as f32);
        let x0 = (cx - side / 2.0).clamp(0.0, (iw - 1.0).max(0.0)).floor();
        let y0 = (cy - side / 2.0).clamp(0.0, (ih - 1.0).max(0.0)).floor();
        let x1 = (cx + side / 2.0).clamp(x0 + 1.0, iw).ceil();
        let y1 = (cy + side / 2.0).clamp(y0 + 1.0, ih).ceil();
        let crop = cut(img, [x0, y0, x1, y1]);
        let size = REFINE_SIZE
            .min(((x1 - x0).max(y1 - y0) as usize).div_ceil(32) * 32)
            .max(64);
        let near = self
            .detect_pass(&crop, size, self.options.detection_threshold * 0.5)?
            .into_iter()
            .map(|mut r| {
                for c in r.corners.iter_mut() {
                    c[0] += x0;
                    c[1] += y0;
                }
                r
            })
            .filter(|r| {
                let b = geometry::bounds(&r.corners);
                let (rx, ry) = (b[0] + b[2] / 2.0, b[1] + b[3] / 2.0);
                (rx - cx).abs() < w * 0.5 && (ry - cy).abs() < h.max(w * 0.2)
            })
            .max_by(|a, b| a.score.total_cmp(&b.score));
        Ok(match near {
            Some(r) => Detection {
                score: d.score.max(r.score),
                corners: r.corners,
            },
            None => d.clone(),
        })
    }

    /// Plate candidates in `img`, best first, in image pixels: a pass over the whole frame, then,
    /// with `refine`, a zoomed second look at each candidate.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Detection>, RecognizeError> {
        let found = self.detect_pass(
            img,
            self.options.detector_size,
            self.options.detection_threshold,
        )?;
        // Keep the best of overlapping candidates.
        let mut kept: Vec<Detection> = Vec::new();
        for d in found {
            let b = geometry::bounds(&d.corners);
            if b[2] < 4.0 || b[3] < 2.0 {
                continue;
            }
            if kept
                .iter()
                .all(|k| geometry::iou(geometry::bounds(&k.corners), b) < 0.3)
            {
                kept.push(d);
            }
            if kept.len() == MAX_PLATES {
                break;
            }
        }
        if self.options.refine {
            kept = kept
                .iter()
                .map(|d| self.refine(img, d))
                .collect::<Result<_, _>>()?;
        }
        Ok(kept)
    }

    /// Reads a rectified grey crop (CROP_H × CROP_W, values 0..1). `None`: no plate text found.
    pub fn read_crop(&self, crop: &[f32]) -> Result<Option<TextRead>, RecognizeError> {
        self.read_crop_with(crop, &colour::PlateCues::default())
    }

    /// [`Recognizer::read_crop`], with what the colour image showed of the plate's design.
    pub fn read_crop_with(
        &self,
        crop: &[f32],
        cues: &colour::PlateCues,
    ) -> Result<Option<TextRead>, RecognizeError> {
        let steps = self.run_recognizer(crop)?;
        Ok(self.decide(&[steps], cues))
    }

    /// The recogniser's per-step probabilities (blank first, then [`ALPHABET`]) for one crop.
    fn run_recognizer(&self, crop: &[f32]) -> Result<Steps, RecognizeError> {
        if crop.len() != CROP_H * CROP_W {
            return Err(RecognizeError::Config(format!(
                "crop has {} values, expected {}",
                crop.len(),
                CROP_H * CROP_W
            )));
        }
        let input = Tensor::from_shape(&[1, 1, CROP_H, CROP_W], crop).map_err(model_err)?;
        let out = self
            .recognizer
            .run(tvec!(input.into()))
            .map_err(model_err)?;
        let logits = out[0].to_array_view::<f32>().map_err(model_err)?;
        let shape = logits.shape().to_vec();
        if shape.len() != 3 || shape[1] != ALPHABET.len() + 1 {
            return Err(RecognizeError::Model(format!(
                "recogniser output has shape {shape:?}, expected [1, 37, t]"
            )));
        }
        Ok((0..shape[2])
            .map(|t| {
                let mut p = [0f32; 37];
                let max = (0..37).map(|c| logits[[0, c, t]]).fold(f32::MIN, f32::max);
                let mut sum = 0.0;
                for (c, v) in p.iter_mut().enumerate() {
                    *v = (logits[[0, c, t]] - max).exp();
                    sum += *v;
                }
                p.iter_mut().for_each(|v| *v /= sum);
                p
            })
            .collect())
    }

    /// The reading of one plate seen through several crops. Each crop proposes its best reading
    /// under every layout; the proposal all crops together find likeliest wins (the mean over
    /// crops of the log of its CTC probability, every alignment counted), so one crop's confident
    /// slip does not outvote the others. Proposals under layouts the plate's look contradicts
    /// come last, as in [`formats::readings`]. `None`: no plate text found.
    fn decide(&self, crops: &[Steps], cues: &colour::PlateCues) -> Option<TextRead> {
        let chars: Vec<Vec<formats::CharProbs>> = crops.iter().map(|s| ctc_characters(s)).collect();
        let proposals: Vec<formats::Constrained> = chars
            .iter()
            .flat_map(|c| formats::readings(c, &self.formats, cues))
            .collect();
        // Several crops and layouts often propose the same text: its likelihood is computed once.
        let mut scored: Vec<(&formats::Constrained, f64)> = Vec::with_capacity(proposals.len());
        for c in &proposals {
            let l = match scored.iter().find(|(p, _)| p.text == c.text) {
                Some(&(_, l)) => l,
                None => {
                    crops
                        .iter()
                        .map(|steps| ctc_log_prob(steps, c.text.as_bytes()))
                        .sum::<f64>()
                        / crops.len() as f64
                }
            };
            scored.push((c, l));
        }
        let best = scored
            .into_iter()
            // Ties (the same text from several crops or layouts) go to the most confident.
            .min_by(|(a, la), (b, lb)| {
                a.contradicted
                    .cmp(&b.contradicted)
                    .then(lb.total_cmp(la))
                    .then(b.score.total_cmp(&a.score))
            });
        if let Some((c, _)) = best {
            let regions = formats::regions_of(&proposals, &c.text);
            return Some(TextRead {
                chars: c
                    .text
                    .chars()
                    .zip(&c.char_conf)
                    .map(|(char, &confidence)| CharRead { char, confidence })
                    .collect(),
                text: c.text.clone(),
                confidence: c.score,
                format: Some(c.format),
                region: (regions.len() == 1).then_some(c.region),
                regions,
            });
        }
        if !self.options.any_format {
            return None;
        }
        // No layout fits: the most confident plain reading of any crop.
        chars
            .iter()
            .filter_map(|chars| {
                if chars.len() < 2 {
                    return None;
                }
                let read: Vec<CharRead> = chars
                    .iter()
                    .map(|p| {
                        let (i, &confidence) = p
                            .iter()
                            .enumerate()
                            .max_by(|a, b| a.1.total_cmp(b.1))
                            .expect("36 entries");
                        CharRead {
                            char: ALPHABET[i] as char,
                            confidence,
                        }
                    })
                    .collect();
                Some(TextRead {
                    text: read.iter().map(|c| c.char).collect(),
                    confidence: read.iter().map(|c| c.confidence).product(),
                    chars: read,
                    format: None,
                    region: None,
                    regions: Vec::new(),
                })
            })
            .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
    }

    /// Detects and reads every plate in `img`.
    pub fn recognize(&self, img: &RgbImage) -> Result<ImageResult, RecognizeError> {
        Ok(self.recognize_detailed(img)?.0)
    }

    /// [`Recognizer::recognize`], also returning every detector candidate (with the corners its
    /// reading came from, when it was read).
    pub fn recognize_detailed(
        &self,
        img: &RgbImage,
    ) -> Result<(ImageResult, Vec<Detection>), RecognizeError> {
        let mut plates = Vec::new();
        let mut rejected = 0;
        let mut detections = self.detect(img)?;
        for d in detections.iter_mut() {
            let best = self.read_candidate(img, d)?;
            match best {
                Some(read) => plates.push(PlateRead {
                    read,
                    bbox: geometry::bounds(&d.corners),
                    corners: d.corners,
                    detection: d.score,
                    colour: colour::dominant(img, &d.corners),
                }),
                None => rejected += 1,
            }
        }
        plates.sort_by(|a, b| {
            (b.read.confidence * b.detection).total_cmp(&(a.read.confidence * a.detection))
        });
        Ok((
            ImageResult {
                width: img.width(),
                height: img.height(),
                plates,
                rejected,
            },
            detections,
        ))
    }

    /// Reads one detector candidate: through a few crops around its corners; when it is confident
    /// (detector ≥ 0.5) and that gives no reading, through a zoomed second detector look; when it
    /// is confident and the reading is missing or doubtful (whole-text probability < 0.1), also
    /// through tighter boxes about its centre (the detector sometimes outlines the plate's recess
    /// or holder rather than the plate). The most confident reading wins, and `d.corners` become
    /// the box it came from. A reading still unsure (< 0.5) then gets a second opinion through
    /// nudged outlines ([`Recognizer::second_opinion`]). `None`: no plate text found.
    pub fn read_candidate(
        &self,
        img: &RgbImage,
        d: &mut Detection,
    ) -> Result<Option<TextRead>, RecognizeError> {
        let (mut best, mut crops) = self.read_outline(img, &d.corners)?;
        let confident = d.score >= FALLBACK_REFINE_SCORE;
        if best.is_none() && !self.options.refine && confident {
            let second = self.refine(img, d)?;
            let (read, c) = self.read_outline(img, &second.corners)?;
            if read.is_some() {
                (best, crops) = (read, c);
                d.corners = second.corners;
            }
        }
        if best.as_ref().is_none_or(|r| r.confidence < DOUBTFUL) && confident {
            let outline = d.corners;
            for s in TIGHTER {
                let tight = geometry::share(&outline, s);
                let (read, c) = self.read_outline(img, &tight)?;
                if let Some(r) = read
                    && best.as_ref().is_none_or(|b| r.confidence > b.confidence)
                {
                    (best, crops) = (Some(r), c);
                    d.corners = tight;
                }
            }
        }
        if best.as_ref().is_some_and(|r| r.confidence < UNSURE)
            && let Some((read, corners)) = self.second_opinion(img, &d.corners, crops)?
        {
            best = Some(read);
            d.corners = corners;
        }
        Ok(best)
    }

    /// A second opinion on an unsure reading of `outline` (read through `crops`): the outline is
    /// also read moved by each of [`NUDGES`], through one crop each to bound the cost, and
    /// settled by [`Recognizer::settle`] together with the outline's first [`TIGHTER`] share,
    /// which helps place the box but does not vote (it would clip a plate the outline fits).
    fn second_opinion(
        &self,
        img: &RgbImage,
        outline: &geometry::Quad,
        crops: Vec<Steps>,
    ) -> Result<Option<(TextRead, geometry::Quad)>, RecognizeError> {
        let nudged = NUDGES
            .iter()
            .map(|&(dx, dy)| (geometry::shift(outline, dx, dy), true));
        let mut views = vec![View {
            quad: *outline,
            crops,
            votes: true,
        }];
        for (quad, votes) in nudged.chain([(geometry::share(outline, TIGHTER[0]), false)]) {
            let (mx, my) = CROP_MARGINS[0];
            if let Some(crop) = geometry::rectify(img, &geometry::expand(&quad, mx, my)) {
                views.push(View {
                    quad,
                    crops: vec![self.run_recognizer(&crop)?],
                    votes,
                });
            }
        }
        Ok(self.settle(&views, &colour::plate_cues(img, outline)))
    }

    /// The crops of every voting view decide the text together ([`Recognizer::decide`]), so a
    /// character one outline clipped, or a rim it took for a character, is outvoted by views
    /// that frame the plate better; the corners become the view (voting or not) whose crops find
    /// that text likeliest. `None`: no reading.
    fn settle(
        &self,
        views: &[View],
        cues: &colour::PlateCues,
    ) -> Option<(TextRead, geometry::Quad)> {
        let voting: Vec<Steps> = views
            .iter()
            .filter(|v| v.votes)
            .flat_map(|v| v.crops.iter().cloned())
            .collect();
        let read = self.decide(&voting, cues)?;
        let fit = |v: &View| {
            v.crops
                .iter()
                .map(|steps| ctc_log_prob(steps, read.text.as_bytes()))
                .sum::<f64>()
                / v.crops.len() as f64
        };
        let quad = views
            .iter()
            .filter(|v| !v.crops.is_empty())
            .max_by(|a, b| fit(a).total_cmp(&fit(b)))?
            .quad;
        Some((read, quad))
    }

    /// Reads a plate outline through a few crops (margins around it, [`CROP_MARGINS`]), weighing
    /// their evidence together ([`Recognizer::decide`]); also returns the recogniser's steps for
    /// each crop that lies in the image.
    fn read_outline(
        &self,
        img: &RgbImage,
        outline: &geometry::Quad,
    ) -> Result<(Option<TextRead>, Vec<Steps>), RecognizeError> {
        let mut crops = Vec::new();
        for &(mx, my) in CROP_MARGINS
            .iter()
            .take(self.options.crops_per_plate.max(1))
        {
            if let Some(crop) = geometry::rectify(img, &geometry::expand(outline, mx, my)) {
                crops.push(self.run_recognizer(&crop)?);
            }
        }
        let read = self.decide(&crops, &colour::plate_cues(img, outline));
        Ok((read, crops))
    }

    /// Reads the plate in an axis-aligned box (x, y, width, height) without the detector.
    pub fn read_box(
        &self,
        img: &RgbImage,
        b: [f32; 4],
    ) -> Result<Option<TextRead>, RecognizeError> {
        let quad = [
            [b[0], b[1]],
            [b[0] + b[2], b[1]],
            [b[0] + b[2], b[1] + b[3]],
            [b[0], b[1] + b[3]],
        ];
        match geometry::rectify(img, &quad) {
            Some(crop) => self.read_crop_with(&crop, &colour::plate_cues(img, &quad)),
            None => Ok(None),
        }
    }
}

/// Loads an image file as RGB.
pub fn load_image(path: &Path) -> Result<RgbImage, RecognizeError> {
    let bytes = std::fs::read(path).map_err(|e| RecognizeError::Image {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    decode_image(&bytes).map_err(|message| RecognizeError::Image {
        path: path.display().to_string(),
        message,
    })
}

/// The pixels of `img` from (x0, y0) up to (x1, y1), whole pixels inside the image.
fn cut(img: &RgbImage, [x0, y0, x1, y1]: [f32; 4]) -> RgbImage {
    image::imageops::crop_imm(
        img,
        x0 as u32,
        y0 as u32,
        (x1 - x0) as u32,
        (y1 - y0) as u32,
    )
    .to_image()
}

/// Widest plate picture [`plate_jpeg`] makes, pixels.
const PLATE_JPEG_WIDTH: u32 = 320;

/// A JPEG picture of a plate for its read's record: the box around `corners` with a margin (a
/// fifth of its width each side, half its height above and below, so the plate's surroundings
/// show), scaled down to at most [`PLATE_JPEG_WIDTH`] pixels wide. Quality 85, or 60 when that
/// would exceed `max_bytes`; `None` when even that does, or when the box is not in the image.
pub fn plate_jpeg(img: &RgbImage, corners: &geometry::Quad, max_bytes: usize) -> Option<Vec<u8>> {
    let [x, y, w, h] = geometry::bounds(corners);
    let (iw, ih) = (img.width() as f32, img.height() as f32);
    let x0 = (x - w * 0.2).max(0.0).floor();
    let y0 = (y - h * 0.5).max(0.0).floor();
    let x1 = (x + w * 1.2).min(iw).ceil();
    let y1 = (y + h * 1.5).min(ih).ceil();
    if !(x1 - x0 >= 2.0 && y1 - y0 >= 2.0) {
        return None;
    }
    let mut crop = cut(img, [x0, y0, x1, y1]);
    if crop.width() > PLATE_JPEG_WIDTH {
        let height = (crop.height() * PLATE_JPEG_WIDTH / crop.width()).max(1);
        crop = image::imageops::resize(
            &crop,
            PLATE_JPEG_WIDTH,
            height,
            image::imageops::FilterType::Triangle,
        );
    }
    [85u8, 60].into_iter().find_map(|quality| {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&crop)
            .ok()?;
        (out.len() <= max_bytes).then_some(out)
    })
}

/// Decodes JPEG or PNG bytes as RGB.
pub fn decode_image(bytes: &[u8]) -> Result<RgbImage, String> {
    image::load_from_memory(bytes)
        .map(|i| i.to_rgb8())
        .map_err(|e| e.to_string())
}

/// Greedy CTC: the best path, collapsed; for each character, the distribution over the 36
/// characters at the step where that character was most certain (blank excluded, renormalised).
fn ctc_characters(steps: &[[f32; 37]]) -> Vec<formats::CharProbs> {
    let mut out: Vec<formats::CharProbs> = Vec::new();
    let mut prev = 0usize;
    let mut best_here = 0f32;
    for p in steps {
        let (k, &pk) = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("37 entries");
        if k != 0 && k != prev {
            out.push(renorm(p));
            best_here = pk;
        } else if k != 0 && k == prev && pk > best_here {
            if let Some(last) = out.last_mut() {
                *last = renorm(p);
            }
            best_here = pk;
        }
        prev = k;
    }
    out
}

/// The natural log of the CTC probability of `text` (characters of [`ALPHABET`]) given the
/// recogniser's `steps`: the sum over every alignment (blanks between and around characters,
/// repeats collapsed), by the forward algorithm with per-step rescaling. Minus infinity when the
/// text cannot be aligned (too long, or a character outside the alphabet).
fn ctc_log_prob(steps: &[[f32; 37]], text: &[u8]) -> f64 {
    let mut labels = Vec::with_capacity(text.len());
    for c in text {
        match ALPHABET.iter().position(|a| a == c) {
            Some(i) => labels.push(i + 1),
            None => return f64::NEG_INFINITY,
        }
    }
    // Extended labels: blank, l1, blank, l2, ..., blank.
    let ext: Vec<usize> = (0..2 * labels.len() + 1)
        .map(|s| if s % 2 == 0 { 0 } else { labels[s / 2] })
        .collect();
    let n = ext.len();
    let Some(first) = steps.first() else {
        return if labels.is_empty() {
            0.0
        } else {
            f64::NEG_INFINITY
        };
    };
    let mut alpha = vec![0f64; n];
    alpha[0] = f64::from(first[0]);
    if n > 1 {
        alpha[1] = f64::from(first[ext[1]]);
    }
    let mut log_scale = 0f64;
    let mut next = vec![0f64; n];
    for p in &steps[1..] {
        for s in 0..n {
            let mut a = alpha[s];
            if s >= 1 {
                a += alpha[s - 1];
            }
            if s >= 2 && ext[s] != 0 && ext[s] != ext[s - 2] {
                a += alpha[s - 2];
            }
            next[s] = a * f64::from(p[ext[s]]);
        }
        let sum: f64 = next.iter().sum();
        if sum <= 0.0 {
            return f64::NEG_INFINITY;
        }
        log_scale += sum.ln();
        for (a, v) in alpha.iter_mut().zip(&next) {
            *a = v / sum;
        }
    }
    let end = alpha[n - 1] + if n > 1 { alpha[n - 2] } else { 0.0 };
    if end <= 0.0 {
        f64::NEG_INFINITY
    } else {
        log_scale + end.ln()
    }
}

fn renorm(p: &[f32; 37]) -> formats::CharProbs {
    let mut c = [0f32; 36];
    c.copy_from_slice(&p[1..]);
    let sum: f32 = c.iter().sum();
    if sum > 0.0 {
        c.iter_mut().for_each(|v| *v /= sum);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(k: usize, p: f32) -> [f32; 37] {
        let mut s = [(1.0 - p) / 36.0; 37];
        s[k] = p;
        s
    }

    #[test]
    fn ctc_collapses_repeats_and_keeps_doubles_split_by_blank() {
        // "11" needs a blank between; "AA A" repeats collapse.
        let a = 11; // 'A' is ALPHABET[10] -> class 11
        let one = 2; // '1'
        let steps = vec![
            step(0, 0.9),
            step(a, 0.8),
            step(a, 0.95),
            step(0, 0.9),
            step(one, 0.9),
            step(0, 0.9),
            step(one, 0.7),
        ];
        let chars = ctc_characters(&steps);
        let text: String = chars
            .iter()
            .map(|p| {
                let i = p
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .unwrap()
                    .0;
                ALPHABET[i] as char
            })
            .collect();
        assert_eq!(text, "A11");
    }

    /// Collapses a CTC path: repeats merge, blanks drop.
    fn collapse(path: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut prev = 0;
        for &k in path {
            if k != 0 && k != prev {
                out.push(k);
            }
            prev = k;
        }
        out
    }

    #[test]
    fn ctc_probability_sums_every_alignment() {
        // Four steps over blank, '1' and 'A' (every other class near zero): enumerate all paths.
        let classes = [0usize, 2, 11];
        let raw = [
            [0.5f32, 0.3, 0.2],
            [0.2, 0.6, 0.2],
            [0.6, 0.1, 0.3],
            [0.1, 0.2, 0.7],
        ];
        let steps: Vec<[f32; 37]> = raw
            .iter()
            .map(|r| {
                let mut s = [0f32; 37];
                for (c, &p) in classes.iter().zip(r) {
                    s[*c] = p;
                }
                s
            })
            .collect();
        for text in ["1A", "A", "11", "1A1", "", "1AAA1"] {
            let want: Vec<usize> = text
                .bytes()
                .map(|c| ALPHABET.iter().position(|&a| a == c).unwrap() + 1)
                .collect();
            let mut total = 0f64;
            for i in 0..81usize {
                let path: Vec<usize> = (0..4).map(|t| classes[(i / 3usize.pow(t)) % 3]).collect();
                if collapse(&path) == want {
                    total += path
                        .iter()
                        .enumerate()
                        .map(|(t, &k)| f64::from(steps[t][k]))
                        .product::<f64>();
                }
            }
            let got = ctc_log_prob(&steps, text.as_bytes()).exp();
            assert!((got - total).abs() < 1e-6, "{text}: {got} vs {total}");
        }
        assert_eq!(ctc_log_prob(&steps, b"a"), f64::NEG_INFINITY);
    }

    /// Steps that spell `text` with blanks between, the given probability on each character.
    fn spell(text: &str, p: &[f32]) -> Steps {
        let mut steps = vec![step(0, 0.95)];
        for (c, &pc) in text.bytes().zip(p) {
            steps.push(step(ALPHABET.iter().position(|&a| a == c).unwrap() + 1, pc));
            steps.push(step(0, 0.95));
        }
        steps
    }

    /// A recogniser for Brazil's layouts.
    fn brazil() -> Recognizer {
        Recognizer::new(Options {
            regions: vec!["BR".into()],
            ..Options::default()
        })
        .unwrap()
    }

    #[test]
    fn crops_outvote_one_confident_slip() {
        let r = brazil();
        let none = colour::PlateCues::default();
        // One crop is sure of a 2 in the last place (yet gives 3 some mass), two others lean to 3.
        let mut slip = spell("JQS5682", &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8]);
        slip[13][4] = 0.15; // '3'
        let mut lean = spell("JQS5683", &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.6]);
        lean[13][3] = 0.05; // '2'
        let read = r.decide(&[slip.clone()], &none).unwrap();
        assert_eq!(read.text, "JQS5682");
        let read = r.decide(&[slip, lean.clone(), lean], &none).unwrap();
        assert_eq!(read.text, "JQS5683");
        assert_eq!(read.format, Some("BR-grey"));
    }

    #[test]
    fn a_second_opinion_outvotes_a_clipped_outline_and_takes_the_best_fitting_box() {
        let r = brazil();
        let none = colour::PlateCues::default();
        let quad = |x: f32| [[x, 0.0], [x + 100.0, 0.0], [x + 100.0, 30.0], [x, 30.0]];
        // The outline clips the last character: both its crops lean to 2, yet give 3 some mass.
        let mut clipped = spell("JQS5682", &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.6]);
        clipped[13][4] = 0.3; // '3'
        let sure = spell("JQS5683", &[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95]);
        let surer = spell("JQS5683", &[0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.99]);
        let view = |x: f32, crops: Vec<Steps>, votes: bool| View {
            quad: quad(x),
            crops,
            votes,
        };
        let mut views = vec![
            view(0.0, vec![clipped.clone(), clipped.clone()], true),
            view(-6.0, vec![sure.clone()], true),
            view(6.0, vec![clipped.clone()], true),
            view(-3.0, vec![surer.clone()], false),
        ];
        let (read, corners) = r.settle(&views, &none).unwrap();
        assert_eq!(read.text, "JQS5683");
        // The view that does not vote still places the box when it fits the text best.
        assert_eq!(corners, quad(-3.0));
        views[3].crops = vec![clipped.clone()];
        let (read, corners) = r.settle(&views, &none).unwrap();
        assert_eq!(read.text, "JQS5683");
        assert_eq!(corners, quad(-6.0));
        // A view that does not vote cannot swing the text.
        views[1].votes = false;
        views[3].crops = vec![sure.clone(); 4];
        let (read, _) = r.settle(&views, &none).unwrap();
        assert_eq!(read.text, "JQS5682");
        // With nothing that reads as a plate, there is no reading.
        let views = [view(0.0, vec![vec![step(0, 0.99); 20]], true)];
        assert!(r.settle(&views, &none).is_none());
    }

    #[test]
    fn plate_pictures_are_small_jpegs_of_the_plate_and_its_surroundings() {
        // A 2000-pixel-wide frame: white plate at (800, 500), 400 x 100, on a red car.
        let img = RgbImage::from_fn(2000, 1200, |x, y| {
            if (800..1200).contains(&x) && (500..600).contains(&y) {
                image::Rgb([250, 250, 250])
            } else {
                image::Rgb([200, 20, 30])
            }
        });
        let corners = [
            [800.0, 500.0],
            [1200.0, 500.0],
            [1200.0, 600.0],
            [800.0, 600.0],
        ];
        let jpeg = plate_jpeg(&img, &corners, 64 * 1024).unwrap();
        assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]) && jpeg.ends_with(&[0xFF, 0xD9]));
        let pic = decode_image(&jpeg).unwrap();
        // 560 x 200 pixels of frame scaled to 320 wide.
        assert_eq!((pic.width(), pic.height()), (320, 114));
        let centre = pic.get_pixel(160, 57).0;
        assert!(centre.iter().all(|&v| v > 230), "{centre:?}");
        let corner = pic.get_pixel(5, 5).0;
        assert!(corner[0] > 170 && corner[1] < 60, "{corner:?}");
        // Too small a budget, or a box outside the frame: no picture.
        assert!(plate_jpeg(&img, &corners, 100).is_none());
        let outside = corners.map(|[x, y]| [x + 3000.0, y]);
        assert!(plate_jpeg(&img, &outside, 64 * 1024).is_none());
    }

    #[test]
    fn models_load_and_run_on_a_blank_frame() {
        let r = Recognizer::new(Options::default()).unwrap();
        let img = RgbImage::from_pixel(640, 360, image::Rgb([128, 128, 128]));
        let res = r.recognize(&img).unwrap();
        assert!(res.plates.is_empty(), "{res:?}");
        assert!(
            Recognizer::new(Options {
                regions: vec!["ZZ".into()],
                ..Options::default()
            })
            .is_err()
        );
    }
}
