//! Retention: per-owner cutoffs and open legal holds, applied by day partition.
//!
//! A past day whose every row is due (its camera's owner's cutoff has passed and no open hold of
//! that owner covers its plate and time) is dropped whole — `DROP TABLE` of the day's reads and
//! crops, after counting its rows per owner for the report. In any other day that a cutoff
//! reaches (the boundary days, or days with held reads or reads of owners keeping longer) the
//! due rows are deleted, with their crops, in one transaction per day. The rules and holds go
//! into the connection's temporary tables, so any number of cameras and holds stays one short
//! statement.

use crate::schema::{self, day_of, day_start, day_suffix};
use crate::{PgReadStore, Result};
use chrono::{DateTime, Utc};
use postgres::Client;
use sightline_store::{LegalHold, PurgeReport, PurgeRule};

/// True for a row `t` of rule `pr`'s cameras that an open hold of `pr`'s owner keeps (the hold's
/// window is `[from, to)`).
macro_rules! held {
    () => {
        "EXISTS (SELECT 1 FROM pg_temp.purge_holds h WHERE h.owner = pr.owner \
         AND h.plate_id = t.plate_id AND t.captured_us >= h.from_us AND t.captured_us < h.to_us)"
    };
}

/// True for a row `t` that retention deletes.
const DUE: &str = concat!(
    "EXISTS (SELECT 1 FROM pg_temp.purge_rules pr \
     WHERE pr.camera_id = t.camera_id AND t.captured_us < pr.cutoff_us AND NOT ",
    held!(),
    ")"
);

/// Deletes the due rows of day table `{t}` and their crops in `{crops}`; answers the count per
/// owner.
const DELETE_DUE: &str = concat!(
    "WITH d AS (
        DELETE FROM {t} t USING pg_temp.purge_rules pr
        WHERE pr.camera_id = t.camera_id AND t.captured_us < pr.cutoff_us AND NOT ",
    held!(),
    "
        RETURNING pr.owner, t.seq, t.captured_us
    ), gone AS (
        DELETE FROM {crops} c USING d WHERE c.seq = d.seq AND c.captured_us = d.captured_us
    )
    SELECT owner, count(*) FROM d GROUP BY owner"
);

fn load_rules(c: &mut Client, rules: &[PurgeRule], holds: &[LegalHold]) -> Result<()> {
    c.batch_execute("TRUNCATE pg_temp.purge_rules, pg_temp.purge_holds")?;
    let (mut cams, mut owners, mut cutoffs) = (Vec::new(), Vec::new(), Vec::new());
    for r in rules {
        for cam in &r.cameras {
            cams.push(cam.0);
            owners.push(r.owner.to_string());
            cutoffs.push(r.cutoff_us);
        }
    }
    // A camera in two rules: the first rule decides, as the first rule that deletes a read
    // does in the SQLite store.
    c.execute(
        "INSERT INTO pg_temp.purge_rules (camera_id, owner, cutoff_us) \
         SELECT c, o, t FROM unnest($1::bigint[], $2::text[], $3::bigint[]) WITH ORDINALITY AS u(c, o, t, n) \
         ORDER BY n ON CONFLICT DO NOTHING",
        &[&cams, &owners, &cutoffs],
    )?;
    let open: Vec<&LegalHold> = holds.iter().filter(|h| h.released_at.is_none()).collect();
    let h_owner: Vec<String> = open.iter().map(|h| h.owner.to_string()).collect();
    let h_plate: Vec<&str> = open.iter().map(|h| h.plate.as_str()).collect();
    let h_from: Vec<i64> = open.iter().map(|h| h.from.timestamp_micros()).collect();
    let h_to: Vec<i64> = open.iter().map(|h| h.to.timestamp_micros()).collect();
    c.execute(
        "INSERT INTO pg_temp.purge_holds (owner, plate_id, from_us, to_us) \
         SELECT h.owner, p.id, h.f, h.t \
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS h(owner, plate, f, t) \
         JOIN plates p ON p.text = h.plate",
        &[&h_owner, &h_plate, &h_from, &h_to],
    )?;
    c.batch_execute("ANALYZE pg_temp.purge_rules; ANALYZE pg_temp.purge_holds")?;
    Ok(())
}

/// One purge (or, with `check_only`, the question whether one would change anything). Returns
/// the report and whether anything was (or would be) deleted or dropped.
pub(crate) fn purge(
    store: &PgReadStore,
    rules: &[PurgeRule],
    holds: &[LegalHold],
    now: DateTime<Utc>,
    check_only: bool,
) -> Result<(PurgeReport, bool)> {
    let now_day = day_of(now.timestamp_micros());
    let mut report = PurgeReport::default();
    let mut changed = false;
    store.with_client(|c| {
        load_rules(c, rules, holds)?;
        let days: Vec<i32> = c
            .query("SELECT day FROM partitions ORDER BY day", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for day in days {
            let t = format!("reads_{}", day_suffix(day));
            let crops = format!("read_crops_{}", day_suffix(day));
            let applying: Vec<&PurgeRule> = rules
                .iter()
                .filter(|r| day_start(day) < r.cutoff_us && !r.cameras.is_empty())
                .collect();
            for r in &applying {
                report.deleted.entry(r.owner.to_string()).or_default();
            }
            if day < now_day {
                let keeps: bool = c
                    .query_one(
                        &format!("SELECT EXISTS (SELECT 1 FROM {t} t WHERE NOT {DUE})"),
                        &[],
                    )?
                    .get(0);
                if !keeps {
                    changed = true;
                    if check_only {
                        return Ok(());
                    }
                    let mut tx = c.transaction()?;
                    let counts = tx.query(
                        &format!(
                            "SELECT pr.owner, count(*) FROM {t} t \
                             JOIN pg_temp.purge_rules pr USING (camera_id) GROUP BY pr.owner"
                        ),
                        &[],
                    )?;
                    schema::drop_partition(&mut tx, day)?;
                    tx.commit()?;
                    store
                        .partitions
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&day);
                    for row in counts {
                        let n: i64 = row.get(1);
                        *report.deleted.entry(row.get(0)).or_default() += n.unsigned_abs();
                    }
                    report.dropped_partitions.push(day);
                    continue;
                }
            }
            if applying.is_empty() {
                continue;
            }
            if check_only {
                let due: bool = c
                    .query_one(
                        &format!("SELECT EXISTS (SELECT 1 FROM {t} t WHERE {DUE})"),
                        &[],
                    )?
                    .get(0);
                if due {
                    changed = true;
                    return Ok(());
                }
                continue;
            }
            let mut tx = c.transaction()?;
            let counts = tx.query(
                &DELETE_DUE.replace("{t}", &t).replace("{crops}", &crops),
                &[],
            )?;
            tx.commit()?;
            for row in counts {
                let n: i64 = row.get(1);
                if n > 0 {
                    changed = true;
                }
                *report.deleted.entry(row.get(0)).or_default() += n.unsigned_abs();
            }
        }
        Ok(())
    })?;
    if changed && !check_only {
        tracing::info!(
            dropped = report.dropped_partitions.len(),
            deleted = report.deleted.values().sum::<u64>(),
            "postgres retention purge"
        );
    }
    Ok((report, changed))
}

/// Drops every partition before `day`.
pub(crate) fn drop_before(store: &PgReadStore, day: i32) -> Result<Vec<i32>> {
    let days = store.with_client(|c| {
        let mut tx = c.transaction()?;
        let days: Vec<i32> = tx
            .query(
                "SELECT day FROM partitions WHERE day < $1 ORDER BY day",
                &[&day],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for &d in &days {
            schema::drop_partition(&mut tx, d)?;
        }
        tx.commit()?;
        Ok(days)
    })?;
    let mut known = store.partitions.lock().unwrap_or_else(|e| e.into_inner());
    for d in &days {
        known.remove(d);
    }
    Ok(days)
}
