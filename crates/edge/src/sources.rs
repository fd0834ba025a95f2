//! Where frames come from: a folder watched for new images, or a video file (Motion-JPEG read
//! directly; any other container decoded by `ffmpeg` when it is installed).

use crate::EdgeError;
use chrono::{DateTime, Utc};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

/// One frame to recognise.
pub struct Frame {
    /// Stable key of the source position: the file name, or `video:<path>` for a video.
    pub source: String,
    /// Frame number within a video (0 for a still image).
    pub position: i64,
    /// Encoded image bytes (JPEG or PNG).
    pub bytes: Vec<u8>,
    /// When the frame was taken.
    pub captured_at: DateTime<Utc>,
    /// Seed of the frame's read ids: stable across restarts, distinct between frames.
    pub identity: String,
}

fn io_err(path: &Path, e: std::io::Error) -> EdgeError {
    EdgeError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Images in `dir` not yet processed, oldest name first. Files modified within `settle` are left
/// for the next poll (they may still be being written; writers should rename into place).
pub fn new_images(
    dir: &Path,
    settle: Duration,
    done: &mut dyn FnMut(&str) -> Result<bool, EdgeError>,
) -> Result<Vec<(PathBuf, String, SystemTime, u64)>, EdgeError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        if !matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png")) || name.starts_with('.') {
            continue;
        }
        if done(&name)? {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) if m.is_file() => m,
            _ => continue,
        };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if SystemTime::now()
            .duration_since(modified)
            .is_ok_and(|age| age < settle)
        {
            continue;
        }
        out.push((path, name, modified, meta.len()));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// Reads one image file as a frame; its capture time is the file's modification time.
pub fn image_frame(
    path: &Path,
    name: &str,
    modified: SystemTime,
    len: u64,
) -> Result<Frame, EdgeError> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let captured_at: DateTime<Utc> = modified.into();
    Ok(Frame {
        source: name.to_owned(),
        position: 0,
        bytes,
        identity: format!("{name}|{len}|{}", captured_at.timestamp_micros()),
        captured_at,
    })
}

/// Splits a stream of concatenated JPEG images (Motion-JPEG) into frames, walking the markers so
/// that bytes inside segments or entropy-coded data are never mistaken for a frame boundary.
pub struct MjpegSplitter<R: Read> {
    reader: R,
    buf: Vec<u8>,
    eof: bool,
}

impl<R: Read> MjpegSplitter<R> {
    pub fn new(reader: R) -> Self {
        MjpegSplitter {
            reader,
            buf: Vec::new(),
            eof: false,
        }
    }

    fn fill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let mut chunk = [0u8; 64 * 1024];
        let n = self.reader.read(&mut chunk)?;
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(true)
    }

    /// The end (exclusive) of the JPEG starting at buf[0], if the buffer holds all of it.
    fn frame_end(&self) -> Result<Option<usize>, String> {
        let b = &self.buf;
        if b.len() < 4 {
            return Ok(None);
        }
        let mut i = 2; // after SOI
        loop {
            if i + 2 > b.len() {
                return Ok(None);
            }
            if b[i] != 0xFF {
                return Err(format!("expected a JPEG marker at byte {i}"));
            }
            let marker = b[i + 1];
            if marker == 0xFF {
                i += 1; // fill byte
                continue;
            }
            if marker == 0xD9 {
                return Ok(Some(i + 2));
            }
            if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
                i += 2;
                continue;
            }
            if i + 4 > b.len() {
                return Ok(None);
            }
            let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
            if len < 2 {
                return Err(format!("bad JPEG segment length at byte {i}"));
            }
            i += 2 + len;
            if marker == 0xDA {
                // Entropy-coded data: runs until a marker other than stuffing or a restart.
                loop {
                    if i + 1 >= b.len() {
                        return Ok(None);
                    }
                    if b[i] == 0xFF && b[i + 1] != 0x00 && !(0xD0..=0xD7).contains(&b[i + 1]) {
                        break;
                    }
                    i += 1;
                }
            }
        }
    }

    /// The next JPEG, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, String> {
        loop {
            // Skip to the next start-of-image.
            if let Some(start) = self.buf.windows(2).position(|w| w == [0xFF, 0xD8]) {
                self.buf.drain(..start);
                if let Some(end) = self.frame_end()? {
                    let frame: Vec<u8> = self.buf.drain(..end).collect();
                    return Ok(Some(frame));
                }
            } else if self.buf.len() > 1 {
                let keep = self.buf.len() - 1;
                self.buf.drain(..keep);
            }
            if !self.fill().map_err(|e| e.to_string())? {
                return Ok(None);
            }
        }
    }
}

/// Frames of a video file, sampled at `fps`. Motion-JPEG files (`.mjpeg`, `.mjpg`) are read
/// directly, each JPEG being one frame at the file's nominal `fps`; anything else goes through
/// `ffmpeg`, which must be on the PATH.
pub struct Video {
    path: PathBuf,
    splitter: MjpegSplitter<Box<dyn Read + Send>>,
    child: Option<std::process::Child>,
    start: DateTime<Utc>,
    fps: f64,
    next: i64,
}

impl Video {
    pub fn open(path: &Path, fps: f64) -> Result<Video, EdgeError> {
        if !(fps > 0.0 && fps <= 120.0) {
            return Err(EdgeError::Config(format!(
                "frame rate {fps} is outside (0, 120]"
            )));
        }
        let meta = std::fs::metadata(path).map_err(|e| io_err(path, e))?;
        let start: DateTime<Utc> = meta
            .created()
            .or_else(|_| meta.modified())
            .unwrap_or(SystemTime::now())
            .into();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        let (reader, child): (Box<dyn Read + Send>, _) = if matches!(
            ext.as_deref(),
            Some("mjpeg" | "mjpg")
        ) {
            (
                Box::new(std::fs::File::open(path).map_err(|e| io_err(path, e))?),
                None,
            )
        } else {
            let mut child = Command::new("ffmpeg")
                .args(["-loglevel", "error", "-nostdin", "-i"])
                .arg(path)
                .args(["-vf", &format!("fps={fps}"), "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "3", "-"])
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| {
                    EdgeError::Config(format!(
                        "cannot decode {} without ffmpeg ({e}); install ffmpeg or give a Motion-JPEG (.mjpeg) file",
                        path.display()
                    ))
                })?;
            let out = child.stdout.take().expect("piped stdout");
            (Box::new(out), Some(child))
        };
        Ok(Video {
            path: path.to_owned(),
            splitter: MjpegSplitter::new(reader),
            child,
            start,
            fps,
            next: 0,
        })
    }

    /// The next frame, or `None` at the end of the video.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, EdgeError> {
        let bytes = self.splitter.next_frame().map_err(|m| EdgeError::Io {
            path: self.path.display().to_string(),
            message: m,
        })?;
        let Some(bytes) = bytes else {
            if let Some(mut c) = self.child.take() {
                let status = c.wait().map_err(|e| io_err(&self.path, e))?;
                if !status.success() {
                    return Err(EdgeError::Io {
                        path: self.path.display().to_string(),
                        message: format!(
                            "ffmpeg could not decode the video ({status}) after {} frames; its message is above",
                            self.next
                        ),
                    });
                }
            }
            return Ok(None);
        };
        let position = self.next;
        self.next += 1;
        let offset = Duration::from_secs_f64(position as f64 / self.fps);
        let source = format!("video:{}", self.path.display());
        Ok(Some(Frame {
            identity: format!("{source}|{position}"),
            source,
            position,
            bytes,
            captured_at: self.start + chrono::Duration::from_std(offset).unwrap_or_default(),
        }))
    }
}

impl Drop for Video {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(value: u8) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(16, 8, image::Rgb([value, value, value]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn mjpeg_splits_into_the_original_frames() {
        let frames = [jpeg(10), jpeg(128), jpeg(250)];
        let stream: Vec<u8> = frames.concat();
        // Tiny reads exercise the buffer refills.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(7).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut s = MjpegSplitter::new(Slow(&stream));
        for f in &frames {
            assert_eq!(&s.next_frame().unwrap().unwrap(), f);
        }
        assert!(s.next_frame().unwrap().is_none());
    }

    /// Mean grey value of a JPEG frame.
    fn mean_grey(bytes: &[u8]) -> f64 {
        let img = image::load_from_memory(bytes).unwrap().to_luma8();
        img.pixels().map(|p| f64::from(p.0[0])).sum::<f64>() / f64::from(img.width() * img.height())
    }

    /// A video that is not Motion-JPEG goes through ffmpeg (which CI installs): an H.264 MP4 of
    /// three one-second frames comes back as three frames at 1 fps and six at 2 fps, in order.
    #[test]
    fn other_videos_are_decoded_by_ffmpeg_at_the_asked_rate() {
        let dir = tempfile::tempdir().unwrap();
        for (i, v) in [20u8, 130, 240].into_iter().enumerate() {
            image::RgbImage::from_pixel(64, 32, image::Rgb([v, v, v]))
                .save(dir.path().join(format!("f{i}.png")))
                .unwrap();
        }
        let video = dir.path().join("clip.mp4");
        let status = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-nostdin", "-framerate", "1", "-i"])
            .arg(dir.path().join("f%d.png"))
            .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-r", "1"])
            .arg(&video)
            .status()
            .expect("ffmpeg is installed (.ci/run installs it)");
        assert!(status.success());
        for (fps, want) in [
            (1.0, vec![20.0, 130.0, 240.0]),
            (2.0, vec![20.0, 20.0, 130.0, 130.0, 240.0, 240.0]),
        ] {
            let mut v = Video::open(&video, fps).unwrap();
            let mut got = Vec::new();
            while let Some(f) = v.next_frame().unwrap() {
                assert_eq!(f.position, got.len() as i64);
                got.push(mean_grey(&f.bytes));
            }
            assert_eq!(got.len(), want.len(), "{fps} fps: {got:?}");
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 12.0, "{fps} fps: {got:?}");
            }
        }
        // A file ffmpeg cannot read is an error that says so, not an empty video.
        let junk = dir.path().join("junk.mp4");
        std::fs::write(&junk, b"not a video").unwrap();
        let mut v = Video::open(&junk, 1.0).unwrap();
        let Err(e) = v.next_frame() else {
            panic!("an unreadable video gave a frame or a clean end");
        };
        let e = e.to_string();
        assert!(e.contains("ffmpeg could not decode"), "{e}");
    }

    #[test]
    fn garbage_between_frames_is_skipped_and_bad_markers_are_errors() {
        let mut stream = b"junk".to_vec();
        stream.extend(jpeg(50));
        let mut s = MjpegSplitter::new(&stream[..]);
        assert!(s.next_frame().unwrap().is_some());
        let mut s = MjpegSplitter::new(&[0xFF, 0xD8, 0x12, 0x34, 0x00, 0x00][..]);
        assert!(s.next_frame().is_err());
    }
}
