//! `hotlists.db`: lists, entries and hits, plus the in-memory match index.

use crate::{Category, Error, Hit, HotEntry, HotList, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use sightline_types::{AgencyId, PlateText, canonical_plate};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS lists (
    id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, category TEXT NOT NULL,
    source TEXT NOT NULL, shared_with TEXT NOT NULL, created_by TEXT NOT NULL, created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL REFERENCES lists(id), plate TEXT NOT NULL,
    region TEXT, reason TEXT NOT NULL, legal_basis TEXT, added_by TEXT NOT NULL, added_us INTEGER NOT NULL,
    expires_us INTEGER
);
CREATE INDEX IF NOT EXISTS entries_list ON entries(list_id);
CREATE TABLE IF NOT EXISTS hits (
    id INTEGER PRIMARY KEY, body TEXT NOT NULL, list_owner TEXT NOT NULL, camera_owner TEXT NOT NULL,
    created_us INTEGER NOT NULL, outcome TEXT
);
CREATE INDEX IF NOT EXISTS hits_list_owner ON hits(list_owner, id);
CREATE INDEX IF NOT EXISTS hits_camera_owner ON hits(camera_owner, id);
CREATE TABLE IF NOT EXISTS hit_only_cameras (camera_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS camera_purposes (camera_id INTEGER PRIMARY KEY, categories TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY, agency TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
    created_by TEXT NOT NULL, created_us INTEGER NOT NULL
);
"#;

/// How an import treats the list's existing entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Replace every entry (atomically).
    Replace,
    /// Add to the existing entries.
    Merge,
}

#[derive(Debug, Default)]
struct Index {
    lists: HashMap<i64, HotList>,
    entries: HashMap<i64, HotEntry>,
    exact: HashMap<String, Vec<i64>>,
    canon: HashMap<String, Vec<i64>>,
    hit_only: std::collections::HashSet<i64>,
    /// Cameras whose checks are bound to list categories (German model), by camera.
    purposes: HashMap<i64, Vec<Category>>,
    /// For each list, the other agencies whose cameras it may run on: shared with them *and*
    /// allowed by their agreement, law and policy (decided by the service layer).
    grants: HashMap<i64, std::collections::HashSet<AgencyId>>,
}

impl Index {
    /// Tells whether list `l` runs on cameras of `camera_owner`.
    fn runs_on(&self, l: &HotList, camera_owner: &AgencyId) -> bool {
        l.owner == *camera_owner
            || (l.shared_with.contains(camera_owner)
                && self
                    .grants
                    .get(&l.id)
                    .is_some_and(|g| g.contains(camera_owner)))
    }
}

impl Index {
    fn add_entry(&mut self, e: HotEntry) {
        self.exact.entry(e.plate.clone()).or_default().push(e.id);
        self.canon
            .entry(canonical_plate(&e.plate))
            .or_default()
            .push(e.id);
        self.entries.insert(e.id, e);
    }

    fn remove_list_entries(&mut self, list_id: i64) {
        let gone: std::collections::HashSet<i64> = self
            .entries
            .values()
            .filter(|e| e.list_id == list_id)
            .map(|e| e.id)
            .collect();
        if gone.is_empty() {
            return;
        }
        self.entries.retain(|id, _| !gone.contains(id));
        for ids in self.exact.values_mut().chain(self.canon.values_mut()) {
            ids.retain(|id| !gone.contains(id));
        }
        self.exact.retain(|_, ids| !ids.is_empty());
        self.canon.retain(|_, ids| !ids.is_empty());
    }
}

/// Hot lists and hits.
#[derive(Debug)]
pub struct HotlistStore {
    conn: Mutex<Connection>,
    index: RwLock<Index>,
}

fn ts(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

fn bad(e: impl std::fmt::Display) -> Error {
    Error::Invalid(e.to_string())
}

impl HotlistStore {
    /// Opens `hotlists.db` in `dir`.
    ///
    /// # Errors
    /// Database failures.
    pub fn open(dir: &Path) -> Result<Self> {
        let conn = Connection::open(dir.join("hotlists.db"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        // Version 2: lists and webhooks can be ended (they stay on record).
        for (table, column) in [("lists", "ended_us"), ("webhooks", "ended_us")] {
            let has: bool = conn.query_row(
                &format!(
                    "SELECT EXISTS(SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1)"
                ),
                [column],
                |r| r.get(0),
            )?;
            if !has {
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} INTEGER"))?;
            }
        }
        let s = HotlistStore {
            conn: Mutex::new(conn),
            index: RwLock::new(Index::default()),
        };
        s.rebuild()?;
        Ok(s)
    }

    fn rebuild(&self) -> Result<()> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut idx = Index::default();
        let mut stmt = conn.prepare("SELECT id, owner, name, category, source, shared_with, created_by, created_us FROM lists WHERE ended_us IS NULL")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        for row in rows {
            let (id, owner, name, category, source, shared, created_by, created_us) = row?;
            let shared_with = shared
                .split(',')
                .filter(|s| !s.is_empty())
                .filter_map(|s| AgencyId::parse(s).ok())
                .collect();
            let list = HotList {
                id,
                owner: AgencyId::parse(&owner).map_err(bad)?,
                name,
                category: Category::parse(&category)?,
                source,
                shared_with,
                created_by,
                created_at: ts(created_us),
            };
            idx.lists.insert(id, list);
        }
        let mut stmt = conn.prepare("SELECT id, list_id, plate, region, reason, legal_basis, added_by, added_us, expires_us FROM entries")?;
        let rows = stmt.query_map([], |r| {
            Ok(HotEntry {
                id: r.get(0)?,
                list_id: r.get(1)?,
                plate: r.get(2)?,
                region: r.get(3)?,
                reason: r.get(4)?,
                legal_basis: r.get(5)?,
                added_by: r.get(6)?,
                added_at: ts(r.get(7)?),
                expires_at: r.get::<_, Option<i64>>(8)?.map(ts),
            })
        })?;
        for e in rows {
            idx.add_entry(e?);
        }
        let mut stmt = conn.prepare("SELECT camera_id FROM hit_only_cameras")?;
        idx.hit_only = stmt
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<Result<_, _>>()?;
        let mut stmt = conn.prepare("SELECT camera_id, categories FROM camera_purposes")?;
        let rows: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (cam, cats) in rows {
            let cats = cats
                .split(',')
                .filter(|c| !c.is_empty())
                .map(Category::parse)
                .collect::<Result<Vec<_>>>()?;
            idx.purposes.insert(cam, cats);
        }
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = idx;
        Ok(())
    }

    /// Puts a camera in (or takes it out of) hit-only mode.
    ///
    /// # Errors
    /// Database failures.
    pub fn set_hit_only(&self, camera_id: i64, on: bool) -> Result<()> {
        {
            let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
            if on {
                conn.execute(
                    "INSERT OR IGNORE INTO hit_only_cameras(camera_id) VALUES (?1)",
                    [camera_id],
                )?;
            } else {
                conn.execute(
                    "DELETE FROM hit_only_cameras WHERE camera_id = ?1",
                    [camera_id],
                )?;
            }
        }
        let mut idx = self.index.write().unwrap_or_else(|e| e.into_inner());
        if on {
            idx.hit_only.insert(camera_id);
        } else {
            idx.hit_only.remove(&camera_id);
        }
        Ok(())
    }

    /// Registers a webhook for an agency's alerts; returns its id.
    ///
    /// # Errors
    /// Database failures.
    pub fn add_webhook(
        &self,
        agency: &AgencyId,
        url: &str,
        secret: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute(
            "INSERT INTO webhooks(agency, url, secret, created_by, created_us) VALUES (?1, ?2, ?3, ?4, ?5)",
            (agency.as_str(), url, secret, by, now.timestamp_micros()),
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Webhooks of an agency: (id, url, secret).
    ///
    /// # Errors
    /// Database failures.
    pub fn webhooks(&self, agency: &AgencyId) -> Result<Vec<(i64, String, String)>> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt =
            conn.prepare("SELECT id, url, secret FROM webhooks WHERE agency = ?1 AND ended_us IS NULL ORDER BY id")?;
        let rows = stmt.query_map([agency.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Binds a camera's checks to list categories: only lists of these categories run on it, and
    /// each hit records them (the German requirement that lists be selected per purpose of the
    /// check). An empty slice removes the binding.
    ///
    /// # Errors
    /// Database failures.
    pub fn set_camera_purposes(&self, camera_id: i64, categories: &[Category]) -> Result<()> {
        {
            let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
            if categories.is_empty() {
                conn.execute(
                    "DELETE FROM camera_purposes WHERE camera_id = ?1",
                    [camera_id],
                )?;
            } else {
                let codes: Vec<&str> = categories.iter().map(|c| c.code()).collect();
                conn.execute(
                    "INSERT INTO camera_purposes(camera_id, categories) VALUES (?1, ?2) ON CONFLICT(camera_id) DO UPDATE SET categories = excluded.categories",
                    (camera_id, codes.join(",")),
                )?;
            }
        }
        let mut idx = self.index.write().unwrap_or_else(|e| e.into_inner());
        if categories.is_empty() {
            idx.purposes.remove(&camera_id);
        } else {
            idx.purposes.insert(camera_id, categories.to_vec());
        }
        Ok(())
    }

    /// The categories a camera's checks are bound to (`None`: every list that applies).
    pub fn camera_purposes(&self, camera_id: i64) -> Option<Vec<Category>> {
        self.index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .purposes
            .get(&camera_id)
            .cloned()
    }

    /// Tells whether a camera is in hit-only mode.
    pub fn is_hit_only(&self, camera_id: i64) -> bool {
        self.index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .hit_only
            .contains(&camera_id)
    }

    /// The unexpired listed plates that run on a camera (for edge lists).
    pub fn plates_for(
        &self,
        camera_id: i64,
        camera_owner: &AgencyId,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let idx = self.index.read().unwrap_or_else(|e| e.into_inner());
        let bound = idx.purposes.get(&camera_id);
        let mut v: Vec<String> = idx
            .entries
            .values()
            .filter(|e| e.expires_at.is_none_or(|x| x > now))
            .filter(|e| {
                idx.lists.get(&e.list_id).is_some_and(|l| {
                    idx.runs_on(l, camera_owner)
                        && bound.is_none_or(|cats| cats.contains(&l.category))
                })
            })
            .map(|e| e.plate.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Creates a list from `new` (its `id` is ignored); the caller has checked the owner's law
    /// allows its category.
    ///
    /// # Errors
    /// Invalid names; database failures.
    pub fn create_list(&self, new: &HotList) -> Result<HotList> {
        let HotList {
            owner,
            name,
            category,
            source,
            shared_with,
            created_by: by,
            created_at: now,
            ..
        } = new;
        if name.trim().is_empty() || name.len() > 200 {
            return Err(Error::Invalid(
                "list name must be 1 to 200 characters".into(),
            ));
        }
        let shared: Vec<&str> = shared_with.iter().map(AgencyId::as_str).collect();
        let id = {
            let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
            // A pre-assigned id makes a replayed creation a no-op.
            conn.execute(
                "INSERT OR IGNORE INTO lists(id, owner, name, category, source, shared_with, created_by, created_us) VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![new.id, owner.as_str(), name.trim(), category.code(), source, shared.join(","), by, now.timestamp_micros()],
            )?;
            if new.id != 0 {
                new.id
            } else {
                conn.last_insert_rowid()
            }
        };
        let list = HotList {
            id,
            name: name.trim().to_owned(),
            ..new.clone()
        };
        self.index
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .lists
            .insert(id, list.clone());
        Ok(list)
    }

    /// The next free list id (callers serialise creations).
    ///
    /// # Errors
    /// Database failures.
    pub fn next_list_id(&self) -> Result<i64> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        Ok(
            conn.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM lists", [], |r| {
                r.get(0)
            })?,
        )
    }

    /// Replaces the set of agencies a list is shared with.
    ///
    /// # Errors
    /// `NotFound` for an unknown or ended list.
    pub fn set_shared_with(&self, id: i64, shared_with: &[AgencyId]) -> Result<HotList> {
        self.list(id)?;
        let codes: Vec<&str> = shared_with.iter().map(AgencyId::as_str).collect();
        {
            let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
            conn.execute(
                "UPDATE lists SET shared_with = ?2 WHERE id = ?1",
                rusqlite::params![id, codes.join(",")],
            )?;
        }
        let mut idx = self.index.write().unwrap_or_else(|e| e.into_inner());
        let list = idx
            .lists
            .get_mut(&id)
            .ok_or_else(|| Error::NotFound(format!("hot list {id}")))?;
        list.shared_with = shared_with.to_vec();
        Ok(list.clone())
    }

    /// Ends a list: it stops matching at once and stays on record (idempotent).
    ///
    /// # Errors
    /// Database failures.
    pub fn end_list(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        {
            let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
            conn.execute(
                "UPDATE lists SET ended_us = COALESCE(ended_us, ?2) WHERE id = ?1",
                rusqlite::params![id, now.timestamp_micros()],
            )?;
        }
        let mut idx = self.index.write().unwrap_or_else(|e| e.into_inner());
        idx.remove_list_entries(id);
        idx.lists.remove(&id);
        idx.grants.remove(&id);
        Ok(())
    }

    /// Replaces the camera-owner grants of every list (see [`Index`]): the service layer
    /// decides them from agreements, law and policy, and calls this whenever those change.
    pub fn set_grants(&self, grants: HashMap<i64, std::collections::HashSet<AgencyId>>) {
        self.index.write().unwrap_or_else(|e| e.into_inner()).grants = grants;
    }

    /// Every live list.
    pub fn all_lists(&self) -> Vec<HotList> {
        let idx = self.index.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<HotList> = idx.lists.values().cloned().collect();
        v.sort_by_key(|l| l.id);
        v
    }

    /// Ends a webhook of an agency (idempotent).
    ///
    /// # Errors
    /// `NotFound` when the agency has no such webhook.
    pub fn end_webhook(&self, id: i64, agency: &AgencyId, now: DateTime<Utc>) -> Result<()> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let n = conn.execute(
            "UPDATE webhooks SET ended_us = COALESCE(ended_us, ?3) WHERE id = ?1 AND agency = ?2",
            rusqlite::params![id, agency.as_str(), now.timestamp_micros()],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("webhook {id}")));
        }
        Ok(())
    }

    /// Returns a list.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn list(&self, id: i64) -> Result<HotList> {
        self.index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .lists
            .get(&id)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("hot list {id}")))
    }

    /// Lists owned by or shared with an agency.
    pub fn lists_for(&self, agency: &AgencyId) -> Vec<HotList> {
        let idx = self.index.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<HotList> = idx
            .lists
            .values()
            .filter(|l| l.owner == *agency || l.shared_with.contains(agency))
            .cloned()
            .collect();
        v.sort_by_key(|l| l.id);
        v
    }

    /// Entries of a list.
    pub fn entries(&self, list_id: i64) -> Vec<HotEntry> {
        let idx = self.index.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<HotEntry> = idx
            .entries
            .values()
            .filter(|e| e.list_id == list_id)
            .cloned()
            .collect();
        v.sort_by_key(|e| e.id);
        v
    }

    /// Adds entries to a list, or replaces them all, in one transaction.
    ///
    /// # Errors
    /// `Invalid` naming the first bad entry (then nothing changes).
    pub fn put_entries(
        &self,
        list_id: i64,
        entries: &[HotEntry],
        mode: ImportMode,
    ) -> Result<usize> {
        self.list(list_id)?;
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction()?;
        if mode == ImportMode::Replace {
            tx.execute("DELETE FROM entries WHERE list_id = ?1", [list_id])?;
        }
        let mut stored = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let plate = PlateText::normalise(&e.plate)
                .map_err(|err| Error::Invalid(format!("entry {}: {err}", i + 1)))?;
            if e.reason.trim().is_empty() {
                return Err(Error::Invalid(format!(
                    "entry {}: a reason is required",
                    i + 1
                )));
            }
            tx.execute(
                "INSERT INTO entries(list_id, plate, region, reason, legal_basis, added_by, added_us, expires_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                (list_id, plate.as_str(), &e.region, e.reason.trim(), &e.legal_basis, &e.added_by, e.added_at.timestamp_micros(), e.expires_at.map(|x| x.timestamp_micros())),
            )?;
            stored.push(HotEntry {
                id: tx.last_insert_rowid(),
                list_id,
                plate: plate.to_string(),
                reason: e.reason.trim().to_owned(),
                // Timestamps as the database keeps them (microseconds).
                added_at: ts(e.added_at.timestamp_micros()),
                expires_at: e.expires_at.map(|x| ts(x.timestamp_micros())),
                ..e.clone()
            });
        }
        tx.commit()?;
        drop(conn);
        // Update the match index in place: adding one entry to a list of a million must not
        // reload the whole table.
        let mut idx = self.index.write().unwrap_or_else(|e| e.into_inner());
        if mode == ImportMode::Replace {
            idx.remove_list_entries(list_id);
        }
        let n = stored.len();
        for e in stored {
            idx.add_entry(e);
        }
        Ok(n)
    }

    /// Parses a CSV import: header `plate,region,reason,legal_basis,expires_at` (RFC 3339; the last
    /// three optional columns may be empty).
    ///
    /// # Errors
    /// `Invalid` naming the line.
    pub fn parse_csv(text: &str, by: &str, now: DateTime<Utc>) -> Result<Vec<HotEntry>> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = rdr
            .headers()
            .map_err(bad)?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let plate =
            col("plate").ok_or_else(|| Error::Invalid("the CSV needs a `plate` column".into()))?;
        let (region, reason, basis, expires) = (
            col("region"),
            col("reason"),
            col("legal_basis"),
            col("expires_at"),
        );
        let mut out = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| Error::Invalid(format!("line {}: {e}", i + 2)))?;
            let get = |c: Option<usize>| {
                c.and_then(|c| rec.get(c))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            let expires_at = match get(expires) {
                Some(s) => Some(
                    DateTime::parse_from_rfc3339(&s)
                        .map_err(|e| Error::Invalid(format!("line {}: expires_at: {e}", i + 2)))?
                        .with_timezone(&Utc),
                ),
                None => None,
            };
            out.push(HotEntry {
                id: 0,
                list_id: 0,
                plate: get(Some(plate)).unwrap_or_default(),
                region: get(region),
                reason: get(reason).unwrap_or_else(|| "imported".into()),
                legal_basis: get(basis),
                added_by: by.to_owned(),
                added_at: now,
                expires_at,
            });
        }
        Ok(out)
    }

    /// Matches a read against the lists that run on a camera (owned by `camera_owner`, and bound
    /// to categories if its checks are): exact plate first, then the OCR-canonical key (fuzzy).
    /// Expired entries do not match.
    pub fn match_plate(
        &self,
        camera_id: i64,
        camera_owner: &AgencyId,
        plate: &str,
        now: DateTime<Utc>,
    ) -> Vec<(HotList, HotEntry, bool)> {
        let idx = self.index.read().unwrap_or_else(|e| e.into_inner());
        let bound = idx.purposes.get(&camera_id);
        let mut out: Vec<(HotList, HotEntry, bool)> = Vec::new();
        let exact = idx
            .exact
            .get(plate)
            .into_iter()
            .flatten()
            .map(|id| (*id, false));
        let fuzzy = idx
            .canon
            .get(&canonical_plate(plate))
            .into_iter()
            .flatten()
            .map(|id| (*id, true));
        for (id, is_fuzzy) in exact.chain(fuzzy) {
            if out.iter().any(|(_, e, _)| e.id == id) {
                continue;
            }
            let Some(e) = idx.entries.get(&id) else {
                continue;
            };
            if e.expires_at.is_some_and(|x| x <= now) {
                continue;
            }
            let Some(l) = idx.lists.get(&e.list_id) else {
                continue;
            };
            let runs_here = idx.runs_on(l, camera_owner);
            if runs_here && bound.is_none_or(|cats| cats.contains(&l.category)) {
                out.push((l.clone(), e.clone(), is_fuzzy));
            }
        }
        out
    }

    /// Stores hits; returns them with ids.
    ///
    /// # Errors
    /// Database failures.
    pub fn record_hits(&self, hits: Vec<Hit>) -> Result<Vec<Hit>> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction()?;
        let mut out = Vec::with_capacity(hits.len());
        for mut h in hits {
            tx.execute(
                "INSERT INTO hits(body, list_owner, camera_owner, created_us) VALUES ('{}', ?1, ?2, ?3)",
                (h.list_owner.as_str(), h.camera_owner.as_str(), h.created_at.timestamp_micros()),
            )?;
            h.id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE hits SET body = ?1 WHERE id = ?2",
                (serde_json::to_string(&h).map_err(bad)?, h.id),
            )?;
            out.push(h);
        }
        tx.commit()?;
        Ok(out)
    }

    /// One hit, if `agency` may see it (its list's owner or its camera's owner).
    ///
    /// # Errors
    /// `NotFound` otherwise.
    pub fn hit_for(&self, id: i64, agency: &AgencyId) -> Result<Hit> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let body: Option<String> = conn
            .query_row(
                "SELECT body FROM hits WHERE id = ?1 AND (list_owner = ?2 OR camera_owner = ?2)",
                (id, agency.as_str()),
                |r| r.get(0),
            )
            .optional()?;
        serde_json::from_str(&body.ok_or_else(|| Error::NotFound(format!("hit {id}")))?)
            .map_err(bad)
    }

    /// Recent hits an agency may see (its lists' hits and hits on its cameras), newest first.
    ///
    /// # Errors
    /// Database failures.
    pub fn hits_for(&self, agency: &AgencyId, limit: usize) -> Result<Vec<Hit>> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare("SELECT body FROM hits WHERE list_owner = ?1 OR camera_owner = ?1 ORDER BY id DESC LIMIT ?2")?;
        let bodies = stmt
            .query_map((agency.as_str(), limit as i64), |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(bad))
            .collect()
    }

    /// Records an acknowledgement by a user of an agency that may see the hit.
    ///
    /// # Errors
    /// `NotFound` when the hit does not exist or is not the agency's; `Invalid` outcome.
    pub fn acknowledge(
        &self,
        id: i64,
        agency: &AgencyId,
        outcome: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Hit> {
        if !crate::ACK_OUTCOMES.contains(&outcome) {
            return Err(Error::Invalid(format!(
                "outcome must be one of {}",
                crate::ACK_OUTCOMES.join(", ")
            )));
        }
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let body: Option<String> = conn
            .query_row(
                "SELECT body FROM hits WHERE id = ?1 AND (list_owner = ?2 OR camera_owner = ?2)",
                (id, agency.as_str()),
                |r| r.get(0),
            )
            .optional()?;
        let mut hit: Hit =
            serde_json::from_str(&body.ok_or_else(|| Error::NotFound(format!("hit {id}")))?)
                .map_err(bad)?;
        hit.outcome = Some(outcome.to_owned());
        hit.acknowledged_by = Some(by.to_owned());
        hit.acknowledged_at = Some(now);
        conn.execute(
            "UPDATE hits SET body = ?1, outcome = ?2 WHERE id = ?3",
            (serde_json::to_string(&hit).map_err(bad)?, outcome, id),
        )?;
        Ok(hit)
    }

    /// Counts hits on lists an agency owns, by acknowledgement outcome (`pending` when none yet).
    ///
    /// # Errors
    /// Database failures.
    pub fn outcome_counts(
        &self,
        agency: &AgencyId,
    ) -> Result<std::collections::BTreeMap<String, u64>> {
        self.grouped_counts("SELECT coalesce(outcome, 'pending'), count(*) FROM hits WHERE list_owner = ?1 GROUP BY 1", agency)
    }

    /// Counts hits on an agency's cameras by lists of *other* agencies, by list owner: what the
    /// camera owner's data told others (for its transparency report).
    ///
    /// # Errors
    /// Database failures.
    pub fn hits_for_others(
        &self,
        camera_owner: &AgencyId,
    ) -> Result<std::collections::BTreeMap<String, u64>> {
        self.grouped_counts("SELECT list_owner, count(*) FROM hits WHERE camera_owner = ?1 AND list_owner <> ?1 GROUP BY 1", camera_owner)
    }

    /// Runs a `SELECT key, count(*) … GROUP BY 1` over the hits of one agency.
    fn grouped_counts(
        &self,
        sql: &str,
        agency: &AgencyId,
    ) -> Result<std::collections::BTreeMap<String, u64>> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([agency.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn entry(plate: &str, expires: Option<DateTime<Utc>>) -> HotEntry {
        HotEntry {
            id: 0,
            list_id: 0,
            plate: plate.into(),
            region: None,
            reason: "stolen".into(),
            legal_basis: Some("report 26-1".into()),
            added_by: "a".into(),
            added_at: Utc::now(),
            expires_at: expires,
        }
    }

    #[test]
    fn test_match_exact_fuzzy_expiry_and_sharing() {
        let dir = tempfile::tempdir().unwrap();
        let s = HotlistStore::open(dir.path()).unwrap();
        let owner = AgencyId::parse("oak-park-pd").unwrap();
        let other = AgencyId::parse("harris-so").unwrap();
        let now = Utc::now();
        let new = HotList {
            id: 0,
            owner: owner.clone(),
            name: "stolen".into(),
            category: Category::StolenVehicle,
            source: "custom".into(),
            shared_with: vec![other.clone()],
            created_by: "a".into(),
            created_at: now,
        };
        let l = s.create_list(&new).unwrap();
        s.put_entries(
            l.id,
            &[
                entry("ABC 123", None),
                entry("OLD1", Some(now - Duration::minutes(1))),
            ],
            ImportMode::Merge,
        )
        .unwrap();
        let m = s.match_plate(1, &owner, "ABC123", now);
        assert_eq!((m.len(), m[0].2), (1, false));
        let m = s.match_plate(1, &owner, "A8C123", now);
        assert_eq!((m.len(), m[0].2), (1, true), "fuzzy via canonical key");
        assert!(s.match_plate(1, &owner, "OLD1", now).is_empty(), "expired");
        assert!(
            s.match_plate(1, &other, "ABC123", now).is_empty(),
            "shared, but the partner (camera owner) has not granted matching"
        );
        s.set_grants(HashMap::from([(
            l.id,
            std::collections::HashSet::from([other.clone()]),
        )]));
        assert_eq!(
            s.match_plate(1, &other, "ABC123", now).len(),
            1,
            "shared and granted: the list runs on the partner's cameras"
        );
        assert_eq!(s.plates_for(1, &other, now), vec!["ABC123".to_owned()]);
        assert!(
            s.match_plate(1, &AgencyId::parse("nobody").unwrap(), "ABC123", now)
                .is_empty()
        );
        // Replace is atomic: a bad entry leaves the list as it was.
        assert!(
            s.put_entries(
                l.id,
                &[entry("NEW1", None), entry("B$D", None)],
                ImportMode::Replace
            )
            .is_err()
        );
        assert_eq!(s.entries(l.id).len(), 2);
        let csv = "plate,region,reason,legal_basis,expires_at\nXYZ 9,US-IL,wanted,W-26-1,\n";
        let parsed = HotlistStore::parse_csv(csv, "a", now).unwrap();
        s.put_entries(l.id, &parsed, ImportMode::Replace).unwrap();
        assert_eq!(s.entries(l.id).len(), 1);
        assert!(s.match_plate(1, &owner, "ABC123", now).is_empty());
        drop(s);
        let s = HotlistStore::open(dir.path()).unwrap();
        // A camera bound to missing-person checks runs no stolen-vehicle list.
        s.set_camera_purposes(2, &[Category::MissingPerson])
            .unwrap();
        assert!(s.match_plate(2, &owner, "XYZ9", now).is_empty());
        assert_eq!(s.camera_purposes(2), Some(vec![Category::MissingPerson]));
        assert_eq!(
            s.match_plate(1, &owner, "XYZ9", now).len(),
            1,
            "index rebuilt from disk"
        );
        s.end_list(l.id, now).unwrap();
        assert!(s.match_plate(1, &owner, "XYZ9", now).is_empty(), "ended");
        assert!(s.list(l.id).is_err());
        drop(s);
        let s = HotlistStore::open(dir.path()).unwrap();
        assert!(
            s.match_plate(1, &owner, "XYZ9", now).is_empty(),
            "ended stays ended"
        );
    }
}
