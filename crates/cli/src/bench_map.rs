//! `sightline bench map`: renders the search results page (the camera picker's map and list,
//! the results map with the track, the table) for N cameras around Chicago and a track of M
//! sightings, as the web handler renders it, and reports render time and bytes.

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sightline_server::{Node, NodeConfig};
use sightline_types::{
    Agency, AgencyId, AgencyKind, Camera, CameraId, Jurisdiction, OwnerDecision, OwnerOutcome,
    SearchResponse, StoredRead, VehicleAttributes,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Runs the map benchmark.
///
/// # Errors
/// The data directory cannot be made or opened.
pub fn map(data: PathBuf, cameras: usize, stops: usize, runs: usize, browser: bool) -> Result<()> {
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("clearing {}", data.display()))?;
    }
    // An empty node: the page asks it which cameras are hit-only.
    let node = Arc::new(Node::open(NodeConfig::for_data_dir(data.clone()))?);
    let mut rng = StdRng::seed_from_u64(21);
    let agencies: Vec<Agency> = (0..8)
        .map(|i| {
            Ok(Agency {
                id: AgencyId::parse(&format!("agency-{i}"))?,
                name: format!("Agency {i} Police Department"),
                kind: AgencyKind::Municipal,
                jurisdiction: Jurisdiction::parse("US-IL")?,
            })
        })
        .collect::<Result<_>>()?;
    // Cameras over Chicago and its suburbs (about 60 × 50 km), the track across them.
    let cams: Vec<Camera> = (0..cameras)
        .map(|i| Camera {
            id: CameraId(i as i64 + 1),
            owner: agencies[i % agencies.len()].id.clone(),
            name: format!(
                "Camera {i} — {} St & {} Ave",
                rng.gen_range(1..200),
                rng.gen_range(1..200)
            ),
            lat: rng.gen_range(41.60..42.10),
            lon: rng.gen_range(-88.20..-87.52),
            bearing: Some(f64::from(rng.gen_range(0u16..360))),
            mobile: false,
        })
        .collect();
    let now = Utc::now();
    let results: Vec<StoredRead> = (0..stops)
        .map(|i| {
            let c = &cams[rng.gen_range(0..cams.len())];
            StoredRead {
                seq: i as i64,
                id: format!("r{i}"),
                camera_id: c.id,
                camera_name: c.name.clone(),
                owner: c.owner.clone(),
                captured_at: now - Duration::minutes((stops - i) as i64 * 17),
                plate: "BENCH1".into(),
                region: None,
                confidence: Some(0.9),
                attributes: VehicleAttributes::default(),
                lat: c.lat,
                lon: c.lon,
                crop: None,
            }
        })
        .collect();
    let answer = SearchResponse {
        audit_seq: 1,
        results,
        truncated: false,
        owners: agencies
            .iter()
            .map(|a| OwnerDecision {
                owner: a.id.clone(),
                owner_name: a.name.clone(),
                outcome: OwnerOutcome::Contributed,
                result_count: (stops / agencies.len()) as u64,
                rule: "bench".into(),
                citation: "bench".into(),
                explanation: "bench".into(),
            })
            .collect(),
    };
    println!(
        "bench map: the search results page with {cameras} cameras (picker map and list, results map) and a track of {stops} sightings, {runs} renders"
    );
    let mut times = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let page = sightline_server::bench_search_page(&node, &agencies, &cams, &answer);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        bytes = page.len();
    }
    times.sort_by(f64::total_cmp);
    let maps = sightline_server::bench_search_page(&node, &agencies, &cams[..1], &answer).len();
    println!(
        "bench map: render median {:.1} ms, max {:.1} ms; page {bytes} bytes ({:.0} KiB); the same page with 1 camera: {maps} bytes",
        crate::bench::percentile(&times, 0.5),
        times.last().copied().unwrap_or_default(),
        bytes as f64 / 1024.0,
    );
    if browser {
        let doc = sightline_server::bench_search_document(&node, &agencies, &cams, &answer);
        crate::bench_browser::run(doc, runs)?;
    }
    Ok(())
}
