//! Per-read validation and normalisation.

use crate::ReadError;
use chrono::{DateTime, Duration, Utc};
use sightline_store::ReadRecord;
use sightline_types::read::{MAX_CROP_BYTES, MAX_READ_ID_LEN};
use sightline_types::{Camera, NewRead, PlateText};

/// Limits applied to incoming reads.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestLimits {
    /// Most reads per request.
    pub max_batch: usize,
    /// How far in the future a capture time may lie (camera clock skew), seconds.
    pub max_future_skew_s: i64,
    /// How old a read may be when it arrives (store-and-forward backlog), days.
    pub max_age_days: i64,
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits {
            max_batch: 1000,
            max_future_skew_s: 300,
            max_age_days: 30,
        }
    }
}

fn reject(status: u16, code: &'static str, message: String) -> ReadError {
    ReadError {
        status,
        code,
        message,
    }
}

fn attribute(name: &str, v: Option<String>) -> Result<Option<String>, ReadError> {
    let Some(v) = v else { return Ok(None) };
    let v = v.trim().to_lowercase();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > 32 || v.chars().any(|c| c.is_control()) {
        return Err(reject(
            400,
            "invalid_attribute",
            format!("{name} must be at most 32 printable characters"),
        ));
    }
    Ok(Some(v))
}

/// Decodes a plate crop: base64 of a whole JPEG (start and end markers) of at most
/// [`MAX_CROP_BYTES`].
fn crop(v: Option<String>) -> Result<Option<Vec<u8>>, ReadError> {
    use base64::Engine as _;
    let Some(v) = v else { return Ok(None) };
    let bad = |why: &str| {
        reject(
            400,
            "invalid_crop",
            format!("crop must be a base64 JPEG of at most {MAX_CROP_BYTES} bytes: {why}"),
        )
    };
    // Base64 is 4 characters per 3 bytes: refuse an oversized one before decoding it.
    if v.len() > MAX_CROP_BYTES.div_ceil(3) * 4 {
        return Err(bad("too large"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v.trim())
        .map_err(|_| bad("not base64"))?;
    if bytes.len() > MAX_CROP_BYTES {
        return Err(bad("too large"));
    }
    if !(bytes.starts_with(&[0xFF, 0xD8, 0xFF]) && bytes.ends_with(&[0xFF, 0xD9])) {
        return Err(bad("not a whole JPEG"));
    }
    Ok(Some(bytes))
}

/// Validates one read from `camera` at time `now`.
///
/// # Errors
/// A [`ReadError`] naming the field and the problem.
pub fn validate_read(
    camera: &Camera,
    r: NewRead,
    now: DateTime<Utc>,
    limits: &IngestLimits,
) -> Result<ReadRecord, ReadError> {
    if r.id.is_empty() || r.id.len() > MAX_READ_ID_LEN || r.id.chars().any(|c| c.is_control()) {
        return Err(reject(
            400,
            "invalid_id",
            format!("read id must be 1 to {MAX_READ_ID_LEN} printable characters"),
        ));
    }
    if let Some(cid) = r.camera_id
        && cid != camera.id.0
    {
        return Err(reject(
            403,
            "unknown_camera",
            format!(
                "camera {cid} is not the camera this device key belongs to (camera {})",
                camera.id
            ),
        ));
    }
    if r.captured_at > now + Duration::seconds(limits.max_future_skew_s) {
        return Err(reject(
            422,
            "future_timestamp",
            format!(
                "captured_at {} is in the future (more than {} s ahead of the node clock)",
                r.captured_at.to_rfc3339(),
                limits.max_future_skew_s
            ),
        ));
    }
    if r.captured_at < now - Duration::days(limits.max_age_days) {
        return Err(reject(
            422,
            "stale_timestamp",
            format!(
                "captured_at {} is more than {} days old",
                r.captured_at.to_rfc3339(),
                limits.max_age_days
            ),
        ));
    }
    let plate = PlateText::normalise(&r.plate)
        .map_err(|e| reject(400, "malformed_plate", e.to_string()))?;
    let region = match r
        .region
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
    {
        Some(s) if s.len() > 16 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            return Err(reject(
                400,
                "invalid_region",
                "region must be a short code such as US-IL or DE".into(),
            ));
        }
        other => other,
    };
    if let Some(c) = r.confidence
        && !(0.0..=1.0).contains(&c)
    {
        return Err(reject(
            400,
            "invalid_confidence",
            format!("confidence {c} is outside 0..=1"),
        ));
    }
    let (lat, lon) = match (r.lat, r.lon) {
        (None, None) => (None, None),
        (Some(la), Some(lo)) if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) => {
            (Some(la), Some(lo))
        }
        (Some(_), Some(_)) => {
            return Err(reject(
                400,
                "invalid_position",
                "lat must be in -90..=90 and lon in -180..=180".into(),
            ));
        }
        _ => {
            return Err(reject(
                400,
                "invalid_position",
                "lat and lon must be given together".into(),
            ));
        }
    };
    Ok(ReadRecord {
        camera_id: camera.id,
        client_id: r.id,
        captured_us: r.captured_at.timestamp_micros(),
        plate,
        region,
        confidence: r.confidence,
        colour: attribute("colour", r.colour)?,
        vehicle_type: attribute("vehicle_type", r.vehicle_type)?,
        make: attribute("make", r.make)?,
        lat,
        lon,
        received_us: now.timestamp_micros(),
        crop: crop(r.crop)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_types::{AgencyId, CameraId};

    fn cam() -> Camera {
        Camera {
            id: CameraId(7),
            owner: AgencyId::parse("oak-park-pd").unwrap(),
            name: "c".into(),
            lat: 0.0,
            lon: 0.0,
            bearing: None,
            mobile: false,
        }
    }

    fn read(plate: &str, at: DateTime<Utc>) -> NewRead {
        NewRead {
            id: "r1".into(),
            camera_id: None,
            captured_at: at,
            plate: plate.into(),
            region: Some("us-il".into()),
            confidence: Some(0.8),
            colour: Some(" Red ".into()),
            vehicle_type: None,
            make: None,
            lat: None,
            lon: None,
            crop: None,
        }
    }

    #[test]
    fn test_valid_read_is_normalised() {
        let now = Utc::now();
        let r = validate_read(&cam(), read("abc-123", now), now, &IngestLimits::default()).unwrap();
        assert_eq!(r.plate.as_str(), "ABC123");
        assert_eq!(r.region.as_deref(), Some("US-IL"));
        assert_eq!(r.colour.as_deref(), Some("red"));
    }

    #[test]
    fn test_rejections_name_the_problem() {
        let now = Utc::now();
        let l = IngestLimits::default();
        let e = validate_read(&cam(), read("AB$1", now), now, &l).unwrap_err();
        assert_eq!(e.code, "malformed_plate");
        let e = validate_read(&cam(), read("AB1", now + Duration::hours(1)), now, &l).unwrap_err();
        assert_eq!((e.status, e.code), (422, "future_timestamp"));
        let e = validate_read(&cam(), read("AB1", now - Duration::days(31)), now, &l).unwrap_err();
        assert_eq!(e.code, "stale_timestamp");
        let mut r = read("AB1", now);
        r.camera_id = Some(8);
        assert_eq!(
            validate_read(&cam(), r, now, &l).unwrap_err().code,
            "unknown_camera"
        );
        let mut r = read("AB1", now);
        r.confidence = Some(1.5);
        assert_eq!(
            validate_read(&cam(), r, now, &l).unwrap_err().code,
            "invalid_confidence"
        );
        let mut r = read("AB1", now);
        r.lat = Some(10.0);
        assert_eq!(
            validate_read(&cam(), r, now, &l).unwrap_err().code,
            "invalid_position"
        );
    }

    #[test]
    fn test_crops_are_base64_jpegs_within_the_limit() {
        use base64::Engine as _;
        let now = Utc::now();
        let l = IngestLimits::default();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let with = |crop: String| {
            let mut r = read("AB1", now);
            r.crop = Some(crop);
            validate_read(&cam(), r, now, &l)
        };
        let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[7; 100], &[0xFF, 0xD9]].concat();
        assert_eq!(with(b64(&jpeg)).unwrap().crop, Some(jpeg.clone()));
        for (crop, why) in [
            ("not base64!".to_string(), "not base64"),
            (b64(b"\x89PNG\r\n\x1a\n...."), "not a whole JPEG"),
            (b64(&jpeg[..50]), "not a whole JPEG"),
            (
                b64(&[&jpeg[..4], &vec![0; MAX_CROP_BYTES][..], &[0xFF, 0xD9]].concat()),
                "too large",
            ),
        ] {
            let e = with(crop).unwrap_err();
            assert_eq!((e.status, e.code), (400, "invalid_crop"));
            assert!(e.message.contains(why), "{}", e.message);
        }
    }
}
