//! `sightline camera`: the edge agent.

use crate::recognize_cmd::RecognizerArgs;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use sightline_edge::{AgentConfig, Input, queue::FullPolicy};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WhenFull {
    /// Drop the oldest queued read to make room.
    DropOldest,
    /// Keep the queue and drop the new read.
    DropNewest,
}

#[derive(Args, Debug)]
pub struct CameraArgs {
    /// The node's base URL, e.g. http://10.0.0.5:8080.
    #[arg(long)]
    pub node: String,
    /// Environment variable holding the camera's device key (keys stay out of process lists).
    #[arg(long, default_value = "SIGHTLINE_CAMERA_KEY")]
    pub key_env: String,
    /// A file holding the camera's device key (instead of the environment).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Watch this folder for new images (writers should rename finished files into it).
    #[arg(long, conflicts_with = "video", required_unless_present = "video")]
    pub watch: Option<PathBuf>,
    /// Read this video (Motion-JPEG directly; other formats need ffmpeg on the PATH).
    #[arg(long)]
    pub video: Option<PathBuf>,
    /// Frames per second to sample from the video.
    #[arg(long, default_value_t = 5.0)]
    pub fps: f64,
    /// Folder for the durable queue.
    #[arg(long, default_value = "./sightline-camera")]
    pub queue: PathBuf,
    /// The same plate again within this many seconds is not sent again.
    #[arg(long, default_value_t = 10.0)]
    pub repeat_window: f64,
    /// Most reads held while the node is unreachable.
    #[arg(long, default_value_t = 100_000)]
    pub queue_max: usize,
    /// What to drop when the queue is full.
    #[arg(long, value_enum, default_value_t = WhenFull::DropOldest)]
    pub when_full: WhenFull,
    /// Reads per request.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Folder scan interval, milliseconds.
    #[arg(long, default_value_t = 500)]
    pub poll_ms: u64,
    /// Longest wait between delivery attempts while the node is away, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub max_backoff: f64,
    /// Stop once the input is exhausted and every read is delivered (folder: one scan).
    #[arg(long)]
    pub exit_when_done: bool,
    /// Send a JPEG picture of each plate (and a little of the car around it) with its read;
    /// the node keeps it with the read and returns it to searches that ask for crops. A few KB
    /// per read (median 9.5 KB on openalpr-br's photos), in the queue too.
    #[arg(long)]
    pub attach_crops: bool,
    /// How often a hit-only camera fetches its hot list again, seconds (also at each new UTC
    /// day, and at once when the node refuses the camera's key or a non-hit).
    #[arg(long, default_value_t = 300.0)]
    pub list_refresh: f64,
    #[command(flatten)]
    pub recognizer: RecognizerArgs,
}

pub fn run(a: CameraArgs) -> Result<bool> {
    let key = match &a.key_file {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the key file {}", p.display()))?
            .trim()
            .to_owned(),
        None => std::env::var(&a.key_env).with_context(|| {
            format!(
                "set the camera's device key in ${} (or give --key-file)",
                a.key_env
            )
        })?,
    };
    if !(a.repeat_window >= 0.0 && a.repeat_window.is_finite()) {
        bail!("--repeat-window must be zero or more seconds");
    }
    if !(a.max_backoff > 0.0 && a.max_backoff.is_finite()) {
        bail!("--max-backoff must be a positive number of seconds");
    }
    if !(a.list_refresh >= 1.0 && a.list_refresh.is_finite()) {
        bail!("--list-refresh must be at least one second");
    }
    let input = match (&a.watch, &a.video) {
        (Some(dir), None) => Input::Folder(dir.clone()),
        (None, Some(path)) => Input::Video {
            path: path.clone(),
            fps: a.fps,
        },
        _ => bail!("give exactly one of --watch DIR or --video FILE"),
    };
    // With one region given, reads whose layout is shared by several regions report that one.
    let default_region =
        (a.recognizer.regions.len() == 1).then(|| a.recognizer.regions[0].to_ascii_uppercase());
    let cfg = AgentConfig {
        node: a.node.clone(),
        key,
        input,
        queue_dir: a.queue.clone(),
        repeat_window: Duration::from_secs_f64(a.repeat_window),
        queue_max: a.queue_max,
        when_full: match a.when_full {
            WhenFull::DropOldest => FullPolicy::DropOldest,
            WhenFull::DropNewest => FullPolicy::DropNewest,
        },
        batch: a.batch.max(1),
        poll: Duration::from_millis(a.poll_ms.max(10)),
        max_backoff: Duration::from_secs_f64(a.max_backoff),
        default_region,
        exit_when_done: a.exit_when_done,
        attach_crops: a.attach_crops,
        list_refresh: Duration::from_secs_f64(a.list_refresh),
    };
    let recognizer = a.recognizer.build()?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                rt.block_on(crate::shutdown_signal());
                stop.store(true, Ordering::Relaxed);
            })?;
    }
    eprintln!(
        "sightline camera: reading {} and sending to {} (queue in {})",
        match &cfg.input {
            Input::Folder(d) => d.display().to_string(),
            Input::Video { path, .. } => path.display().to_string(),
        },
        cfg.node,
        cfg.queue_dir.display()
    );
    let totals = sightline_edge::run(&cfg, &recognizer, stop)?;
    eprintln!(
        "sightline camera: {} frames, {} reads queued, {} repeats suppressed, {} dropped, {} unreadable",
        totals.frames, totals.queued, totals.suppressed, totals.dropped, totals.unreadable
    );
    if totals.non_hits > 0 {
        eprintln!(
            "sightline camera: non-hits dropped at the camera: {}",
            totals.non_hits
        );
    }
    Ok(true)
}
