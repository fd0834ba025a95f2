//! `sightline bench analysis`: convoy and multi-location searches against a `bench ingest` data
//! directory, through the real search path (policy per owner, store through the camera/time
//! index, durable audit append), with latency percentiles and how many reads each search touched.

use crate::bench::percentile;
use anyhow::Result;
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sightline_types::{
    AnalysisQuery, AnalysisRequest, ConvoyQuery, GeoRadius, MultiLocationQuery, Place, TimeWindow,
    Warrant,
};
use std::path::PathBuf;
use std::time::Instant;

/// Runs the analysis benchmark.
///
/// # Errors
/// A missing or unreadable benchmark directory; search failures.
pub async fn analysis(data: PathBuf, queries: usize) -> Result<()> {
    let (meta, node, who) = crate::bench::open_bench_node(&data)?;
    let cameras = node.store.cameras();
    let now = Utc::now();
    let warrant = Warrant {
        court: "Bench Circuit Court".into(),
        reference: "BENCH-1".into(),
        issued: (now - Duration::days(1)).format("%Y-%m-%d").to_string(),
        expires: (now + Duration::days(30)).format("%Y-%m-%d").to_string(),
    };
    println!(
        "bench analysis: {} reads over {} days, {} cameras, {} distinct plates, {queries} searches per kind (policy + durable audit append included)",
        meta.reads,
        meta.days,
        cameras.len(),
        node.store.distinct_plates()
    );
    let mut rng = StdRng::seed_from_u64(18);
    let kinds: [(&str, usize); 4] = [
        ("convoy 7d ±60s k=2", 0),
        ("multi 3 places 2h k=3", 1),
        ("multi 3 places 24h k=2", 2),
        ("multi 10 places 24h k=10", 3),
    ];
    for (label, kind) in kinds {
        let mut times = Vec::with_capacity(queries);
        let mut matches = 0usize;
        let mut reads = 0usize;
        for _ in 0..queries {
            let end = now - Duration::hours(rng.gen_range(24..(meta.days * 24 - 168).max(25)));
            let query = if kind == 0 {
                let plate = &meta.sample_plates[rng.gen_range(0..meta.sample_plates.len())];
                AnalysisQuery::Convoy(ConvoyQuery {
                    plate: plate.clone(),
                    window: TimeWindow {
                        from: end - Duration::days(7),
                        to: end,
                    },
                    delta_s: Some(60),
                    min_events: Some(2),
                })
            } else {
                let (n, hours, k) = match kind {
                    1 => (3, 2, 3),
                    2 => (3, 24, 2),
                    _ => (10, 24, 10),
                };
                let places = (0..n)
                    .map(|i| {
                        let c = &cameras[rng.gen_range(0..cameras.len())];
                        let to = end - Duration::hours(i as i64 * 2);
                        Place {
                            label: None,
                            area: Some(GeoRadius {
                                lat: c.lat,
                                lon: c.lon,
                                radius_m: 1000.0,
                            }),
                            cameras: None,
                            window: TimeWindow {
                                from: to - Duration::hours(hours),
                                to,
                            },
                        }
                    })
                    .collect();
                AnalysisQuery::MultiLocation(MultiLocationQuery {
                    places,
                    min_places: Some(k),
                })
            };
            let req = AnalysisRequest {
                purpose: Some("homicide".into()),
                case_number: Some("26-000001".into()),
                reason: Some("benchmark".into()),
                on_behalf_of: None,
                warrant: Some(warrant.clone()),
                query,
                limit: Some(1000),
            };
            let s = node.searcher.clone();
            let w = who.clone();
            let t = Instant::now();
            let r = tokio::task::spawn_blocking(move || s.analyse(&w, req)).await??;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            matches += r.matches.len();
            reads += r.target.len() + r.matches.iter().map(|m| m.sightings.len()).sum::<usize>();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {label:<26} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms  mean vehicles {:.1}  mean reads returned {:.0}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(f64::NAN),
            matches as f64 / queries as f64,
            reads as f64 / queries as f64
        );
    }
    Ok(())
}
