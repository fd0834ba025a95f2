//! Hot lists in the node: governance (the owner's law decides which categories may be used),
//! matching every stored read, recording hits, and live alerts.

use crate::error::{ApiError, ApiResult};
use crate::node::Node;
use serde_json::json;
use sightline_hotlist::{Category, Hit, HotEntry, HotList, ImportMode};
use sightline_policy::{Decision, PartyFacts, PolicyRequest};
use sightline_search::Principal;
use sightline_store::ReadRecord;
use sightline_types::{AgencyId, Camera, ErrorCode, Role};
use std::sync::Arc;

impl Node {
    /// Asks the owner's law whether a list of this category may run on its cameras.
    pub fn hotlist_decision(
        &self,
        owner: &sightline_types::Agency,
        category: Category,
    ) -> Decision {
        let engine = self.policy.read().unwrap_or_else(|e| e.into_inner());
        let me = PartyFacts::from(owner);
        let req = PolicyRequest {
            user_id: 0,
            role: Role::Officer,
            requester: me.clone(),
            on_behalf_of: me.clone(),
            owner: me,
            purpose: category.purpose(),
            purposes: vec![category.purpose()],
            has_case_number: true,
            case_number_shape: String::new(),
            query_kind: "plate".into(),
            window_hours: 0,
            lookback_minutes: 0,
            owner_retention_minutes: engine
                .retention_minutes(owner.jurisdiction.as_str(), !owner.kind.is_public()),
            agreement_purposes: Vec::new(),
            on_behalf_agreement_purposes: Vec::new(),
            declaration_on_record: false,
            on_behalf_declaration_on_record: false,
        };
        engine.evaluate(&req)
    }

    /// Creates a hot list for the caller's agency, if its law allows the category; a refusal is
    /// audited and names the rule.
    ///
    /// # Errors
    /// 403 with the rule and citation when the law forbids the category.
    pub fn create_hotlist(
        &self,
        who: &Principal,
        name: &str,
        category: Category,
        source: &str,
        shared_with: &[AgencyId],
    ) -> ApiResult<crate::admin::Audited<HotList>> {
        for a in shared_with {
            self.store.agency(a)?;
        }
        let decision = self.hotlist_decision(&who.agency, category);
        if let Decision::Deny {
            rule,
            citation,
            explanation,
        } = &decision
        {
            let seq = self.audit_change(
                who.actor(),
                "hotlist.refused",
                vec![who.agency.id.clone()],
                json!({ "name": name, "category": category, "rule": rule, "citation": citation }),
            )?;
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "a {} list is not allowed for {}: {explanation} ({citation})",
                    category.code(),
                    who.agency.name
                ),
            )
            .with_details(json!({ "rule": rule, "citation": citation, "audit_seq": seq })));
        }
        let list = self.hotlists.create_list(&HotList {
            id: 0,
            owner: who.agency.id.clone(),
            name: name.to_owned(),
            category,
            source: source.to_owned(),
            shared_with: shared_with.to_vec(),
            created_by: who.user.username.clone(),
            created_at: self.clock.now(),
        })?;
        let seq = self.audit_change(
            who.actor(),
            "hotlist.create",
            vec![who.agency.id.clone()],
            json!({ "list": list }),
        )?;
        Ok(crate::admin::Audited {
            item: list,
            audit_seq: seq,
        })
    }

    /// Adds or replaces entries of one of the caller's agency's lists (audited).
    ///
    /// # Errors
    /// 404 for another agency's list; 400 for a bad entry (then nothing changes).
    pub fn put_hotlist_entries(
        &self,
        who: &Principal,
        list_id: i64,
        mut entries: Vec<HotEntry>,
        mode: ImportMode,
    ) -> ApiResult<u64> {
        let list = self.hotlists.list(list_id)?;
        if list.owner != who.agency.id {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("hot list {list_id} not found"),
            ));
        }
        let now = self.clock.now();
        for e in &mut entries {
            e.added_by = who.user.username.clone();
            e.added_at = now;
        }
        let n = self.hotlists.put_entries(list_id, &entries, mode)?;
        self.audit_change(
            who.actor(),
            "hotlist.entries",
            vec![who.agency.id.clone()],
            json!({ "list_id": list_id, "mode": format!("{mode:?}"), "entries": n }),
        )
    }

    /// Matches freshly stored reads against the hot lists; records hits, audits them and sends
    /// alerts. Runs after the ingest acknowledgement, so it never delays ingest.
    pub fn spawn_matching(self: &Arc<Self>, camera: &Camera, stored: Vec<(i64, ReadRecord)>) {
        let now = self.clock.now();
        let mut hits = Vec::new();
        for (seq, rec) in &stored {
            for (list, entry, fuzzy) in
                self.hotlists
                    .match_plate(camera.id.0, &camera.owner, rec.plate.as_str(), now)
            {
                hits.push(Hit {
                    id: 0,
                    list_id: list.id,
                    list_name: list.name.clone(),
                    category: list.category,
                    list_owner: list.owner.clone(),
                    entry_id: entry.id,
                    reason: entry.reason.clone(),
                    read_seq: *seq,
                    camera_id: camera.id.0,
                    camera_name: camera.name.clone(),
                    camera_owner: camera.owner.clone(),
                    plate_read: rec.plate.to_string(),
                    plate_listed: entry.plate.clone(),
                    fuzzy,
                    check_purposes: self.hotlists.camera_purposes(camera.id.0),
                    captured_at: chrono::DateTime::from_timestamp_micros(rec.captured_us)
                        .unwrap_or(now),
                    lat: rec.lat.unwrap_or(camera.lat),
                    lon: rec.lon.unwrap_or(camera.lon),
                    created_at: now,
                    outcome: None,
                    acknowledged_by: None,
                    acknowledged_at: None,
                });
            }
        }
        if hits.is_empty() {
            return;
        }
        let node = self.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let recorded = match node.hotlists.record_hits(hits) {
                Ok(h) => h,
                Err(e) => {
                    tracing::error!(error = %e, "recording hot-list hits failed");
                    return;
                }
            };
            // One audit transaction for the batch's hits, then the alerts.
            let drafts = recorded
                .iter()
                .map(|h| sightline_audit::EntryDraft {
                    actor: sightline_audit::Actor::system(),
                    action: "hotlist.hit".into(),
                    outcome: "ok".into(),
                    owners: vec![h.list_owner.clone(), h.camera_owner.clone()],
                    details: json!({ "hit_id": h.id, "list_id": h.list_id, "entry_id": h.entry_id, "read_seq": h.read_seq, "fuzzy": h.fuzzy, "camera_id": h.camera_id }),
                })
                .collect();
            match node.audit.append_batch(drafts) {
                Ok(r) => {
                    node.metrics.audit_appends.inc_by(r.len() as u64);
                }
                Err(e) => tracing::error!(error = %e, "auditing hot-list hits failed"),
            }
            // Webhook deliveries are async tasks: spawn them on the node's runtime.
            let _guard = handle.enter();
            for h in recorded {
                tracing::info!(
                    hit = h.id,
                    list = h.list_id,
                    fuzzy = h.fuzzy,
                    "hot-list hit"
                );
                node.deliver_webhooks(&h);
                let _ = node.alerts.send(h);
            }
        });
    }

    /// Records an acknowledgement of a hit (audited).
    ///
    /// # Errors
    /// 404 when the hit is not the caller's agency's; 400 for an unknown outcome.
    pub fn acknowledge_hit(&self, who: &Principal, id: i64, outcome: &str) -> ApiResult<Hit> {
        let hit = self.hotlists.acknowledge(
            id,
            &who.agency.id,
            outcome,
            &who.user.username,
            self.clock.now(),
        )?;
        self.audit_change(
            who.actor(),
            "hotlist.ack",
            vec![hit.list_owner.clone()],
            json!({ "hit_id": id, "outcome": outcome }),
        )?;
        Ok(hit)
    }
}

/// Loads the node's edge secret (`edge-secret.key`, 0600), creating it on first use.
///
/// # Errors
/// I/O failures.
pub fn load_edge_secret(dir: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let path = dir.join("edge-secret.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return hex::decode(text.trim())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e));
    }
    std::fs::create_dir_all(dir)?;
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, hex::encode(secret))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(secret.to_vec())
}

impl Node {
    /// Today's keyed-hash hot list for a hit-only camera.
    pub fn edge_list(&self, camera: &Camera) -> sightline_hotlist::edge::EdgeList {
        use sightline_hotlist::edge::{camera_key, canonical_hash, plate_hash};
        let now = self.clock.now();
        let day = now.timestamp().div_euclid(86_400);
        let key = camera_key(&self.edge_secret, camera.id.0, day);
        let plates = self.hotlists.plates_for(camera.id.0, &camera.owner, now);
        sightline_hotlist::edge::EdgeList {
            camera_id: camera.id.0,
            day,
            key: hex::encode(key),
            plates: plates.iter().map(|p| plate_hash(&key, p)).collect(),
            canonical: plates.iter().map(|p| canonical_hash(&key, p)).collect(),
        }
    }
}

/// Turns a hot-list error into an API error.
impl From<sightline_hotlist::Error> for ApiError {
    fn from(e: sightline_hotlist::Error) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}
