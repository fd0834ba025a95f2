//! Query plans of the analysis searches (multi-location, convoy): which reads to fetch, in which
//! order, through which index. Policy has already narrowed the cameras; these functions only
//! decide how to read what the caller may see, and return exactly what a full evaluation would
//! (the unit tests compare them with a brute-force reference on random data).
//!
//! **Multi-location, k of n places.** Each place's sightings in its window are first *counted* on
//! the (camera, time) index (no row visited). A plate seen at k of n places is seen at one or
//! more of any n − k + 1 of them, so the n − k + 1 rarest places are scanned: their plates are
//! the candidates. Every other place, rarest first, is then either scanned (its sightings of
//! live candidates kept) or probed (each live candidate's sightings in the window by primary
//! key), whichever the cost model finds cheaper; before each place the candidates that can no
//! longer reach k are dropped, so for k = n a candidate is probed only until its first miss.
//!
//! **Convoy.** The target's ±Δ neighbourhoods are grouped by camera and those that overlap are
//! merged, then read through the (camera, time) index in camera and time order (neighbouring
//! index pages, no range read twice); each sighting is credited to every target sighting whose
//! neighbourhood holds it.

use crate::Result;
use sightline_store::{PlateId, Sighting, Store};
use sightline_types::CameraId;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Where the plan reads from: the store in production, an in-memory list in the tests.
pub(crate) trait Source {
    /// Reads at `cams` in `[from_us, to_us)` (counted, not fetched).
    fn count_at(&self, cams: &[CameraId], from_us: i64, to_us: i64) -> Result<u64>;
    /// Sightings at `cams` in `[from_us, to_us)`, at most `cap`, and whether more matched.
    fn scan(
        &self,
        cams: &[CameraId],
        from_us: i64,
        to_us: i64,
        cap: usize,
    ) -> Result<(Vec<Sighting>, bool)>;
    /// Each plate's sightings in `[from_us, to_us)` at `cams`, by primary key; `None` as soon
    /// as more than `max_rows` rows (at any camera) were read.
    fn probe(
        &self,
        plates: &[PlateId],
        from_us: i64,
        to_us: i64,
        cams: &HashSet<CameraId>,
        max_rows: u64,
    ) -> Result<Option<HashMap<PlateId, Vec<Sighting>>>>;
    /// Partitions the window touches (one primary-key lookup per plate each).
    fn partitions(&self, from_us: i64, to_us: i64) -> usize;
}

impl Source for Store {
    fn count_at(&self, cams: &[CameraId], from_us: i64, to_us: i64) -> Result<u64> {
        Ok(Store::count_at(self, cams, from_us, to_us)?)
    }

    fn scan(
        &self,
        cams: &[CameraId],
        from_us: i64,
        to_us: i64,
        cap: usize,
    ) -> Result<(Vec<Sighting>, bool)> {
        Ok(self.sightings_at(cams, from_us, to_us, cap)?)
    }

    fn probe(
        &self,
        plates: &[PlateId],
        from_us: i64,
        to_us: i64,
        cams: &HashSet<CameraId>,
        max_rows: u64,
    ) -> Result<Option<HashMap<PlateId, Vec<Sighting>>>> {
        Ok(self.sightings_of_many(plates, from_us, to_us, cams, max_rows)?)
    }

    fn partitions(&self, from_us: i64, to_us: i64) -> usize {
        self.partitions_touched(from_us, to_us)
    }
}

/// The relative costs the plan weighs, in "rows read through an index" units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Costs {
    /// One primary-key (or index) seek.
    pub seek: f64,
    /// Multiplies the estimated cost of probing (1 in production; the tests force either path).
    pub probe_bias: f64,
}

impl Default for Costs {
    fn default() -> Self {
        // A B-tree descent plus a prepared-statement step costs about as much as reading a few
        // rows in order (measured with `sightline bench analysis` at 10M reads).
        Costs {
            seek: 4.0,
            probe_bias: 1.0,
        }
    }
}

/// One place as the plan sees it: the allowed cameras in it and its window.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub cams: Vec<CameraId>,
    pub from_us: i64,
    pub to_us: i64,
}

/// A plate's sightings per place index, each list in (time, sequence) order.
pub(crate) type PerPlace = BTreeMap<usize, Vec<Sighting>>;

/// Multi-location hits (plate, its sightings per place), whether a scan was cut, and the plan.
pub(crate) type MultiHits = (Vec<(PlateId, PerPlace)>, bool, PlanStats);

/// Convoy events: per plate, target sighting index → its earliest sighting there.
pub(crate) type Events = HashMap<PlateId, BTreeMap<usize, Sighting>>;

/// What the plan did, for the debug log and the benchmark.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PlanStats {
    /// Places read whole through the (camera, time) index.
    pub scanned: usize,
    /// Places where only the candidates were looked up by primary key.
    pub probed: usize,
    /// Plate lookups done by those probes.
    pub lookups: usize,
}

/// Plates seen at `k` or more of `places`, with their sightings at every place, ranked by places
/// matched (most first), then plate id. `cap` bounds each scan; the flag says whether one was
/// cut.
pub(crate) fn multi_location<S: Source>(
    src: &S,
    places: &[Scope],
    k: usize,
    cap: usize,
    costs: Costs,
) -> Result<MultiHits> {
    let n = places.len();
    let k = k.clamp(1, n.max(1));
    let mut stats = PlanStats::default();
    let mut est = Vec::with_capacity(n);
    for p in places {
        est.push(if p.cams.is_empty() {
            0
        } else {
            src.count_at(&p.cams, p.from_us, p.to_us)?
        });
    }
    // Rarest first.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (est[i], i));
    let (scanned, rest) = order.split_at(n - k + 1);
    let mut seen: HashMap<PlateId, PerPlace> = HashMap::new();
    let mut truncated = false;
    for &i in scanned {
        let p = &places[i];
        let (rows, capped) = src.scan(&p.cams, p.from_us, p.to_us, cap)?;
        stats.scanned += 1;
        truncated |= capped;
        for s in rows {
            seen.entry(s.plate)
                .or_default()
                .entry(i)
                .or_default()
                .push(s);
        }
    }
    for (j, &i) in rest.iter().enumerate() {
        // Places still to look at, this one included: a candidate that cannot reach k even if
        // seen at all of them is dropped now and never looked up again.
        let left = rest.len() - j;
        seen.retain(|_, at| at.len() + left >= k);
        if seen.is_empty() {
            break;
        }
        let p = &places[i];
        if p.cams.is_empty() {
            continue;
        }
        // Probing costs a primary-key seek per candidate and partition plus every read of the
        // candidates in the window at any camera of the network; scanning costs the place's
        // reads. The seeks are known in advance, the rows are not (a frequent plate has many):
        // the probe gets the scan's cost as its budget, and the place is scanned instead when
        // the probe runs over it — at most twice the cheaper plan, usually the cheaper one.
        let parts = src.partitions(p.from_us, p.to_us) as f64;
        let seeks = seen.len() as f64 * parts * costs.seek * costs.probe_bias;
        let scan_cost = est[i] as f64 + p.cams.len() as f64 * parts * costs.seek;
        let mut probed = None;
        if seeks < scan_cost {
            let mut plates: Vec<PlateId> = seen.keys().copied().collect();
            plates.sort_unstable_by_key(|p| p.0);
            let cams: HashSet<CameraId> = p.cams.iter().copied().collect();
            let budget = ((scan_cost - seeks) / costs.probe_bias.max(f64::MIN_POSITIVE)).min(1e18);
            probed = src.probe(&plates, p.from_us, p.to_us, &cams, budget as u64)?;
            stats.lookups += plates.len();
        }
        if let Some(found) = probed {
            stats.probed += 1;
            for (plate, v) in found {
                if let Some(at) = seen.get_mut(&plate) {
                    at.insert(i, v);
                }
            }
        } else {
            let (rows, capped) = src.scan(&p.cams, p.from_us, p.to_us, cap)?;
            stats.scanned += 1;
            truncated |= capped;
            for s in rows {
                if let Some(at) = seen.get_mut(&s.plate) {
                    at.entry(i).or_default().push(s);
                }
            }
        }
    }
    let mut hits: Vec<(PlateId, PerPlace)> =
        seen.into_iter().filter(|(_, at)| at.len() >= k).collect();
    for (_, at) in &mut hits {
        for v in at.values_mut() {
            v.sort_unstable_by_key(|s| (s.captured_us, s.seq));
        }
    }
    hits.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.0.cmp(&b.0.0)));
    Ok((hits, truncated, stats))
}

/// For each plate other than the target's: the target sightings (index into `target`, which is
/// in time order) whose neighbourhood — the same camera, within ±`delta_us`, inside
/// `[from_us, to_us)` — holds a sighting of it, with the earliest such sighting. `cap` bounds the
/// sightings read in all; the flag says whether it was reached.
pub(crate) fn convoy<S: Source>(
    src: &S,
    target: &[Sighting],
    target_plate: PlateId,
    from_us: i64,
    to_us: i64,
    delta_us: i64,
    cap: usize,
) -> Result<(Events, bool)> {
    // (camera, lo, hi, target index), merged per camera into segments of overlapping ranges.
    let mut ranges: Vec<(CameraId, i64, i64, usize)> = target
        .iter()
        .enumerate()
        .map(|(k, t)| {
            (
                t.camera,
                (t.captured_us - delta_us).max(from_us),
                (t.captured_us + delta_us + 1).min(to_us),
                k,
            )
        })
        .filter(|r| r.1 < r.2)
        .collect();
    ranges.sort_unstable_by_key(|r| (r.0.0, r.1, r.3));
    let mut events: HashMap<PlateId, BTreeMap<usize, Sighting>> = HashMap::new();
    let mut truncated = false;
    let mut budget = cap;
    let mut start = 0;
    while start < ranges.len() && budget > 0 {
        let cam = ranges[start].0;
        let (lo, mut hi) = (ranges[start].1, ranges[start].2);
        let mut end = start + 1;
        while end < ranges.len() && ranges[end].0 == cam && ranges[end].1 <= hi {
            hi = hi.max(ranges[end].2);
            end += 1;
        }
        let members = &ranges[start..end];
        let (near, capped) = src.scan(&[cam], lo, hi, budget)?;
        truncated |= capped;
        budget = budget.saturating_sub(near.len());
        for s in near {
            if s.plate == target_plate {
                continue;
            }
            for &(_, mlo, mhi, k) in members {
                if (mlo..mhi).contains(&s.captured_us) {
                    events
                        .entry(s.plate)
                        .or_default()
                        .entry(k)
                        .and_modify(|e| {
                            if (s.captured_us, s.seq) < (e.captured_us, e.seq) {
                                *e = s;
                            }
                        })
                        .or_insert(s);
                }
            }
        }
        start = end;
    }
    Ok((events, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sightings in memory, partitioned by `period` µs like the store's day tables.
    struct Mem {
        rows: Vec<Sighting>,
        period: i64,
    }

    impl Source for Mem {
        fn count_at(&self, cams: &[CameraId], from_us: i64, to_us: i64) -> Result<u64> {
            Ok(self.scan(cams, from_us, to_us, usize::MAX)?.0.len() as u64)
        }
        fn scan(
            &self,
            cams: &[CameraId],
            from_us: i64,
            to_us: i64,
            cap: usize,
        ) -> Result<(Vec<Sighting>, bool)> {
            let all: Vec<Sighting> = self
                .rows
                .iter()
                .filter(|s| cams.contains(&s.camera) && (from_us..to_us).contains(&s.captured_us))
                .copied()
                .collect();
            let more = all.len() > cap;
            Ok((all.into_iter().take(cap).collect(), more))
        }
        fn probe(
            &self,
            plates: &[PlateId],
            from_us: i64,
            to_us: i64,
            cams: &HashSet<CameraId>,
            max_rows: u64,
        ) -> Result<Option<HashMap<PlateId, Vec<Sighting>>>> {
            let mut out: HashMap<PlateId, Vec<Sighting>> = HashMap::new();
            let mut read = 0;
            for s in &self.rows {
                if plates.contains(&s.plate) && (from_us..to_us).contains(&s.captured_us) {
                    read += 1;
                    if read > max_rows {
                        return Ok(None);
                    }
                    if cams.contains(&s.camera) {
                        out.entry(s.plate).or_default().push(*s);
                    }
                }
            }
            Ok(Some(out))
        }
        fn partitions(&self, from_us: i64, to_us: i64) -> usize {
            if to_us <= from_us {
                0
            } else {
                ((to_us - 1).div_euclid(self.period) - from_us.div_euclid(self.period) + 1) as usize
            }
        }
    }

    /// xorshift64*: deterministic random numbers without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    /// Random reads: `plates` plates (a few frequent, most rare), `cams` cameras, times in
    /// `[0, span)`, unique sequence numbers.
    fn world(rng: &mut Rng, reads: usize, plates: u64, cams: u64, span: i64) -> Mem {
        let rows = (0..reads)
            .map(|i| {
                let r = rng.below(1000) as f64 / 1000.0;
                Sighting {
                    plate: PlateId(((r * r) * plates as f64) as u32 + 1),
                    captured_us: rng.below(span as u64) as i64,
                    seq: i as i64 + 1,
                    camera: CameraId(rng.below(cams) as i64 + 1),
                }
            })
            .collect();
        Mem {
            rows,
            period: span / 5,
        }
    }

    fn brute_multi(mem: &Mem, places: &[Scope], k: usize) -> Vec<(PlateId, PerPlace)> {
        let mut by: HashMap<PlateId, PerPlace> = HashMap::new();
        for s in &mem.rows {
            for (i, p) in places.iter().enumerate() {
                if p.cams.contains(&s.camera) && (p.from_us..p.to_us).contains(&s.captured_us) {
                    by.entry(s.plate)
                        .or_default()
                        .entry(i)
                        .or_default()
                        .push(*s);
                }
            }
        }
        let mut out: Vec<(PlateId, PerPlace)> =
            by.into_iter().filter(|(_, at)| at.len() >= k).collect();
        for (_, at) in &mut out {
            for v in at.values_mut() {
                v.sort_by_key(|s| (s.captured_us, s.seq));
            }
        }
        out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.0.cmp(&b.0.0)));
        out
    }

    #[test]
    fn test_multi_location_plan_matches_brute_force() {
        let mut rng = Rng(0x005e_ed18);
        let mut probes = 0;
        let mut scans_after = 0;
        for round in 0..300 {
            let cams = 3 + rng.below(12);
            let span = 10_000;
            let (reads, plates) = (200 + rng.below(2000) as usize, 20 + rng.below(400));
            let mem = world(&mut rng, reads, plates, cams, span);
            let n = 2 + rng.below(6) as usize;
            let places: Vec<Scope> = (0..n)
                .map(|_| {
                    let from = rng.below(span as u64) as i64;
                    let len = 1 + rng.below(span as u64 / 2) as i64;
                    Scope {
                        // Sometimes a place with no allowed camera.
                        cams: (0..rng.below(4))
                            .map(|_| CameraId(rng.below(cams) as i64 + 1))
                            .collect(),
                        from_us: from,
                        to_us: from + len,
                    }
                })
                .collect();
            let k = 2 + rng.below(n as u64 - 1) as usize;
            let want = brute_multi(&mem, &places, k);
            // The default costs, "always probe" and "always scan".
            for probe_bias in [1.0, 0.0, 1e12] {
                let (got, truncated, stats) = multi_location(
                    &mem,
                    &places,
                    k,
                    usize::MAX,
                    Costs {
                        seek: 4.0,
                        probe_bias,
                    },
                )
                .unwrap();
                assert!(!truncated);
                assert_eq!(got, want, "round {round}, k {k} of {n}, bias {probe_bias}");
                probes += stats.probed;
                scans_after += stats.scanned.saturating_sub(n - k + 1);
            }
        }
        // Both paths were exercised.
        assert!(probes > 50, "{probes}");
        assert!(scans_after > 50, "{scans_after}");
    }

    #[test]
    fn test_multi_location_all_places_probes_until_first_miss() {
        // k = n: a candidate from the rarest place is looked up only while it can still match.
        let mut rows = Vec::new();
        let mut seq = 0;
        let mut add = |plate: u32, cam: i64, t: i64| {
            seq += 1;
            rows.push(Sighting {
                plate: PlateId(plate),
                captured_us: t,
                seq,
                camera: CameraId(cam),
            });
        };
        // Place 0 (camera 1) is rare: plates 1..=3. Plates 1 and 2 are at camera 2, only plate
        // 1 at camera 3. Cameras 2 and 3 are busy.
        for p in 1..=3 {
            add(p, 1, 10);
        }
        add(1, 2, 20);
        add(2, 2, 20);
        add(1, 3, 30);
        for p in 100..400 {
            add(p, 2, 21);
            add(p, 3, 31);
            add(p + 1000, 3, 32);
        }
        let mem = Mem { rows, period: 1000 };
        let places: Vec<Scope> = (1..=3)
            .map(|c| Scope {
                cams: vec![CameraId(c)],
                from_us: 0,
                to_us: 100,
            })
            .collect();
        let (got, _, stats) =
            multi_location(&mem, &places, 3, usize::MAX, Costs::default()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, PlateId(1));
        assert_eq!(stats.scanned, 1);
        assert_eq!(stats.probed, 2);
        // Three candidates at the second place, two at the third (plate 3 dropped after its miss).
        assert_eq!(stats.lookups, 5);
    }

    fn brute_convoy(
        mem: &Mem,
        target: &[Sighting],
        plate: PlateId,
        from: i64,
        to: i64,
        delta: i64,
    ) -> HashMap<PlateId, BTreeMap<usize, Sighting>> {
        let mut out: HashMap<PlateId, BTreeMap<usize, Sighting>> = HashMap::new();
        for (k, t) in target.iter().enumerate() {
            let (lo, hi) = (
                (t.captured_us - delta).max(from),
                (t.captured_us + delta + 1).min(to),
            );
            let mut near: Vec<Sighting> = mem
                .rows
                .iter()
                .filter(|s| {
                    s.plate != plate && s.camera == t.camera && (lo..hi).contains(&s.captured_us)
                })
                .copied()
                .collect();
            near.sort_by_key(|s| (s.captured_us, s.seq));
            for s in near {
                out.entry(s.plate).or_default().entry(k).or_insert(s);
            }
        }
        out
    }

    #[test]
    fn test_convoy_plan_matches_brute_force() {
        let mut rng = Rng(0x00c0_7701);
        for round in 0..300 {
            let cams = 2 + rng.below(6);
            let span = 5_000;
            let (reads, plates) = (200 + rng.below(2000) as usize, 10 + rng.below(100));
            let mem = world(&mut rng, reads, plates, cams, span);
            let plate = PlateId(1 + rng.below(5) as u32);
            let from = rng.below(span as u64 / 2) as i64;
            let to = from + 1 + rng.below(span as u64) as i64;
            let delta = 1 + rng.below(200) as i64;
            let mut target: Vec<Sighting> = mem
                .rows
                .iter()
                .filter(|s| s.plate == plate && (from..to).contains(&s.captured_us))
                .copied()
                .collect();
            target.sort_by_key(|s| (s.captured_us, s.seq));
            let want = brute_convoy(&mem, &target, plate, from, to, delta);
            let (got, truncated) =
                convoy(&mem, &target, plate, from, to, delta, usize::MAX).unwrap();
            assert!(!truncated);
            assert_eq!(got, want, "round {round}");
        }
    }
}
