//! Mapping of OpenALPR / Rekor agent webhook payloads onto reads.
//!
//! Two shapes are accepted, alone or as a JSON array of them:
//! - `alpr_group` (one vehicle seen over several frames): one read, id `best_uuid`, captured at
//!   `epoch_start`, plate `best_plate_number`, region `best_region`, confidence
//!   `best_confidence` / 100, colour / make / type from `vehicle` (top candidate; a suffix after
//!   `-` such as `sedan-standard` is dropped), position from `gps_latitude` / `gps_longitude`;
//! - `alpr_results` (one frame): one read per entry of `results`, id `<uuid>-<index>`, captured
//!   at `epoch_time`.
//!
//! `heartbeat` payloads carry no reads and map to none. OpenALPR's own `camera_id` numbers are
//! not ours: the camera is the one the device key authenticates.

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sightline_types::NewRead;

fn epoch_ms(v: &Value, field: &str) -> Result<DateTime<Utc>> {
    v.get(field)
        .and_then(Value::as_i64)
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(|| Error::Compat(format!("`{field}` must be epoch milliseconds")))
}

fn text(v: &Value, field: &str) -> Result<String> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Compat(format!("`{field}` is missing or not a string")))
}

fn percent(v: &Value, field: &str) -> Option<f64> {
    v.get(field)
        .and_then(Value::as_f64)
        .map(|c| (c / 100.0).clamp(0.0, 1.0))
}

fn top_name(vehicle: Option<&Value>, field: &str) -> Option<String> {
    let name = vehicle?
        .get(field)?
        .as_array()?
        .first()?
        .get("name")?
        .as_str()?;
    Some(name.split('-').next().unwrap_or(name).to_owned())
}

fn group(v: &Value) -> Result<Vec<NewRead>> {
    let vehicle = v.get("vehicle");
    Ok(vec![NewRead {
        id: text(v, "best_uuid")?,
        camera_id: None,
        captured_at: epoch_ms(v, "epoch_start")?,
        plate: text(v, "best_plate_number")?,
        region: v
            .get("best_region")
            .and_then(Value::as_str)
            .map(str::to_owned),
        confidence: percent(v, "best_confidence"),
        colour: top_name(vehicle, "color"),
        vehicle_type: top_name(vehicle, "body_type"),
        make: top_name(vehicle, "make"),
        lat: v.get("gps_latitude").and_then(Value::as_f64),
        lon: v.get("gps_longitude").and_then(Value::as_f64),
        crop: None,
    }])
}

fn results(v: &Value) -> Result<Vec<NewRead>> {
    let uuid = text(v, "uuid")?;
    let at = epoch_ms(v, "epoch_time")?;
    let list = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Compat("`results` must be an array".into()))?;
    list.iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(NewRead {
                id: format!("{uuid}-{i}"),
                camera_id: None,
                captured_at: at,
                plate: text(r, "plate")?,
                region: r.get("region").and_then(Value::as_str).map(str::to_owned),
                confidence: percent(r, "confidence"),
                colour: None,
                vehicle_type: None,
                make: None,
                lat: None,
                lon: None,
                crop: None,
            })
        })
        .collect()
}

fn one(v: &Value) -> Result<Vec<NewRead>> {
    match v.get("data_type").and_then(Value::as_str) {
        Some("alpr_group") => group(v),
        Some("alpr_results") => results(v),
        Some("heartbeat") => Ok(Vec::new()),
        Some(other) => Err(Error::Compat(format!(
            "data_type `{other}` is not supported; expected alpr_group, alpr_results or heartbeat"
        ))),
        None => Err(Error::Compat("`data_type` is missing".into())),
    }
}

/// Maps a webhook body (one object or an array) onto reads.
///
/// # Errors
/// When a payload lacks the fields its shape requires.
pub fn to_reads(body: &Value) -> Result<Vec<NewRead>> {
    match body {
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.extend(one(item).map_err(|e| Error::Compat(format!("item {i}: {e}")))?);
            }
            Ok(out)
        }
        v => one(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn test_group_maps_best_plate_and_vehicle() {
        let v = json!({
            "data_type": "alpr_group", "epoch_start": 1_764_000_000_000i64, "epoch_end": 1_764_000_001_000i64,
            "best_plate_number": "7ABC123", "best_confidence": 91.5, "best_region": "us-ca", "best_uuid": "g-1",
            "vehicle": {"color": [{"name": "silver-gray", "confidence": 80.0}], "body_type": [{"name": "sedan-standard"}], "make": [{"name": "toyota"}]},
            "gps_latitude": 38.58, "gps_longitude": -121.49
        });
        let r = &to_reads(&v).unwrap()[0];
        assert_eq!((r.id.as_str(), r.plate.as_str()), ("g-1", "7ABC123"));
        assert_eq!(r.colour.as_deref(), Some("silver"));
        assert_eq!(r.vehicle_type.as_deref(), Some("sedan"));
        assert!((r.confidence.unwrap() - 0.915).abs() < 1e-9);
    }

    #[test]
    fn test_results_map_each_plate_and_errors_name_fields() {
        let v = json!([{"data_type": "alpr_results", "epoch_time": 1_764_000_000_000i64, "uuid": "f-1",
            "results": [{"plate": "AB1", "confidence": 50}, {"plate": "CD2"}]}, {"data_type": "heartbeat"}]);
        let reads = to_reads(&v).unwrap();
        assert_eq!(reads.len(), 2);
        assert_eq!(reads[1].id, "f-1-1");
        let e = to_reads(&json!({"data_type": "alpr_group"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("best_uuid"), "{e}");
        assert!(to_reads(&json!({"data_type": "video"})).is_err());
    }
}
