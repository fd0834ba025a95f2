//! The hot-list service: lists and entries (the owner's law decides which categories may be
//! used), governance of lists that run on *other* owners' cameras, matching every stored read,
//! and hits.
//!
//! A list running on another agency's cameras is a standing search of that agency's data. It
//! matches there only when the camera owner has agreed (a `hotlist_matching` agreement covering
//! the list's purpose) and the owner's law packs and agency policy allow it, evaluated per list
//! and camera owner by the same policy engine as a search — with the list's name and its entries'
//! reasons screened like a search's reason. The decisions are made when a list is created,
//! shared, changed or ended and whenever an agreement, declaration or policy changes (not per
//! read); each change of decision is audited once with its rule and citation. Hits are audited
//! before they are stored, shown or sent.

use crate::admin::Audited;
use crate::changes::Change;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use serde_json::json;
use sightline_audit::{Action, Actor, EntryDraft, EntryFilter};
use sightline_hotlist::{Category, Hit, HotEntry, HotList, ImportMode};
use sightline_policy::{Decision, PartyFacts, PolicyRequest};
use sightline_store::{AgreementScope, ReadRecord};
use sightline_types::{Agency, AgencyId, Camera, ErrorCode, Purpose, Role};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Most distinct entry reasons screened per list when deciding grants.
const SCREENED_REASONS: usize = 2_000;
/// Most entries one request may add.
pub const MAX_ENTRIES_PER_REQUEST: usize = 2_000_000;

/// Facts shared by every grant decision of one refresh.
struct GrantFacts {
    agencies: HashMap<AgencyId, Agency>,
    agreements: Vec<sightline_store::SharingAgreement>,
    declarations: Vec<sightline_store::Declaration>,
    locations: HashMap<AgencyId, (f64, f64)>,
}

impl Node {
    /// The purposes a list signals: its category's, plus whatever the screening rules find in its
    /// name, its owner's name and its entries' reasons (an `immigration` list called "custom" is
    /// still an immigration list).
    fn list_purposes(&self, list: &HotList, owner: &Agency, reasons: &[&str]) -> Vec<Purpose> {
        let own = format!("{} {}", owner.id, owner.name);
        let mut texts: Vec<&str> = vec![list.name.as_str(), own.as_str()];
        texts.extend(reasons.iter().take(SCREENED_REASONS));
        sightline_policy::screening::infer_purposes(list.category.purpose(), &texts)
            .map(|(p, _)| p)
            .unwrap_or_else(|_| vec![list.category.purpose()])
    }

    /// Asks a camera owner's law (and agreements, when the list is another agency's) whether a
    /// list may run on its cameras.
    fn grant_decision(
        &self,
        list_owner: &Agency,
        camera_owner: &Agency,
        purposes: &[Purpose],
        category: Category,
        facts: Option<&GrantFacts>,
    ) -> Decision {
        let engine = self.policy.read().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        let granted: Vec<Purpose> = match facts {
            Some(f) if list_owner.id != camera_owner.id => {
                let location = f.locations.get(&list_owner.id).copied();
                let set: BTreeSet<Purpose> = f
                    .agreements
                    .iter()
                    .filter(|a| {
                        a.owner == camera_owner.id
                            && a.scope == AgreementScope::HotlistMatching
                            && a.is_active(now)
                            && a.grantee.covers(list_owner, location)
                    })
                    .flat_map(|a| a.purposes.iter().copied())
                    .collect();
                set.into_iter().collect()
            }
            _ => Vec::new(),
        };
        let declared = facts.is_some_and(|f| {
            f.declarations.iter().any(|d| {
                d.agency == list_owner.id
                    && d.jurisdiction == camera_owner.jurisdiction
                    && d.is_active(now)
            })
        });
        let req = PolicyRequest {
            user_id: 0,
            role: Role::Officer,
            requester: PartyFacts::from(list_owner),
            on_behalf_of: PartyFacts::from(list_owner),
            owner: PartyFacts::from(camera_owner),
            purpose: category.purpose(),
            purposes: purposes.to_vec(),
            has_case_number: true,
            case_number_shape: String::new(),
            query_kind: "hotlist".into(),
            has_warrant: false,
            window_hours: 0,
            lookback_minutes: 0,
            owner_retention_minutes: engine.retention_minutes(
                camera_owner.jurisdiction.as_str(),
                !camera_owner.kind.is_public(),
            ),
            agreement_purposes: granted.clone(),
            on_behalf_agreement_purposes: granted,
            declaration_on_record: declared,
            on_behalf_declaration_on_record: declared,
        };
        engine.evaluate(&req)
    }

    fn grant_facts(&self) -> Result<GrantFacts> {
        Ok(GrantFacts {
            agencies: self
                .store
                .agencies()?
                .into_iter()
                .map(|a| (a.id.clone(), a))
                .collect(),
            agreements: self.store.agreements()?,
            declarations: self.store.declarations()?,
            locations: self.store.agency_locations()?,
        })
    }

    /// Reads the last audited grant decisions back from the log (start-up), so a restart does
    /// not audit them again and a decision that changed while the node was down is audited.
    ///
    /// # Errors
    /// Audit failures.
    pub fn load_grant_decisions(&self) -> Result<()> {
        let mut map = HashMap::new();
        let mut after = 0;
        loop {
            let batch = self.audit.entries(&EntryFilter {
                agency: None,
                action: Some(Action::HotlistGrant.code().into()),
                after_seq: after,
                limit: 1000,
            })?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for e in &batch {
                let d = &e.details;
                if let (Some(list), Some(owner), Some(rule)) = (
                    d.get("list_id").and_then(|v| v.as_i64()),
                    d.get("camera_owner")
                        .and_then(|v| v.as_str())
                        .and_then(|s| AgencyId::parse(s).ok()),
                    d.get("decision").and_then(|v| v.as_str()),
                ) {
                    map.insert((list, owner), rule.to_owned());
                }
            }
        }
        *self
            .grant_decisions
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = map;
        Ok(())
    }

    /// Decides, for every live list and every agency it is shared with, whether the list may run
    /// on that agency's cameras; audits each decision that changed (once, with rule and
    /// citation) and installs the grants in the match index. Fails closed: on an error the
    /// previous grants stay, and no new one is added.
    ///
    /// # Errors
    /// Store or audit failures.
    pub fn refresh_hotlist_grants(&self) -> Result<()> {
        let facts = self.grant_facts()?;
        let mut grants: HashMap<i64, HashSet<AgencyId>> = HashMap::new();
        let mut decided: HashMap<(i64, AgencyId), (String, Decision, AgencyId)> = HashMap::new();
        for list in self.hotlists.all_lists() {
            let Some(owner) = facts.agencies.get(&list.owner) else {
                continue;
            };
            let entries = self.hotlists.entries(list.id);
            let reasons: BTreeSet<&str> = entries.iter().map(|e| e.reason.as_str()).collect();
            let reasons: Vec<&str> = reasons.into_iter().collect();
            let purposes = self.list_purposes(&list, owner, &reasons);
            for camera_owner in list.shared_with.iter().filter(|a| **a != list.owner) {
                let Some(co) = facts.agencies.get(camera_owner) else {
                    continue;
                };
                let d = self.grant_decision(owner, co, &purposes, list.category, Some(&facts));
                let key = if d.is_allow() {
                    grants.entry(list.id).or_default().insert(co.id.clone());
                    "allow".to_owned()
                } else {
                    d.parts().0.to_owned()
                };
                decided.insert((list.id, co.id.clone()), (key, d, list.owner.clone()));
            }
        }
        let mut previous = self
            .grant_decisions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut drafts = Vec::new();
        for ((list_id, co), (key, d, list_owner)) in &decided {
            if previous.get(&(*list_id, co.clone())) == Some(key) {
                continue;
            }
            let (rule, citation, explanation) = d.parts();
            drafts.push(EntryDraft::new(
                Actor::system(),
                Action::HotlistGrant,
                if d.is_allow() { "allowed" } else { "denied" },
                vec![co.clone(), list_owner.clone()],
                json!({ "list_id": list_id, "list_owner": list_owner, "camera_owner": co,
                        "decision": key, "rule": rule, "citation": citation, "explanation": explanation }),
            ));
        }
        if !drafts.is_empty() {
            // Audit first: a grant that could not be audited is not installed.
            let n = drafts.len();
            self.audit.append_batch(drafts)?;
            self.metrics.audit_appends.inc_by(n as u64);
        }
        *previous = decided
            .into_iter()
            .map(|(k, (key, _, _))| (k, key))
            .collect();
        self.hotlists.set_grants(grants);
        Ok(())
    }

    /// Creates a hot list for the caller's agency, if its law allows the category — with the
    /// list's name screened like a search reason; a refusal is audited and names the rule.
    /// Sharing takes effect on a partner's cameras only where the partner has agreed.
    ///
    /// # Errors
    /// 403 without `manage_hotlists`, or with the rule and citation when the law forbids it;
    /// 400 for a bad name; 404 for unknown agencies.
    pub fn create_hotlist(
        &self,
        caller: &Caller,
        name: &str,
        category: Category,
        source: &str,
        shared_with: &[AgencyId],
    ) -> Result<Audited<HotList>> {
        caller.require(Permission::ManageHotlists)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("hot lists belong to a user's agency"))?;
        let name = crate::directory::bounded("name", name, 200)?;
        let source = crate::directory::bounded("source", source, 100)?;
        if shared_with.len() > 500 {
            return Err(Error::bad_request(
                "a list is shared with at most 500 agencies",
            ));
        }
        for a in shared_with {
            self.store.agency(a)?;
        }
        let draft = HotList {
            id: 0,
            owner: who.agency.id.clone(),
            name: name.clone(),
            category,
            source,
            shared_with: shared_with.to_vec(),
            created_by: who.user.username.clone(),
            created_at: self.clock.now(),
        };
        self.check_own_law(caller, &who.agency, &draft, &[])?;
        let (change, seq) = self.commit(caller, |n| {
            Ok(Change::HotlistCreate {
                list: HotList {
                    id: n.hotlists.next_list_id()?,
                    ..draft.clone()
                },
            })
        })?;
        let Change::HotlistCreate { list } = change else {
            unreachable!("create_hotlist commits a HotlistCreate")
        };
        Ok(Audited {
            item: list,
            audit_seq: seq,
        })
    }

    /// Refuses (and audits the refusal of) a list its own owner's law forbids.
    fn check_own_law(
        &self,
        caller: &Caller,
        owner: &Agency,
        list: &HotList,
        reasons: &[&str],
    ) -> Result<()> {
        let purposes = self.list_purposes(list, owner, reasons);
        let decision = self.grant_decision(owner, owner, &purposes, list.category, None);
        if let Decision::Deny {
            rule,
            citation,
            explanation,
        } = &decision
        {
            let seq = self.append_audit(EntryDraft::new(
                caller.actor(),
                Action::HotlistRefused,
                "refused",
                vec![owner.id.clone()],
                json!({ "list_id": list.id, "category": list.category, "rule": rule, "citation": citation,
                        "name": excerpt(&list.name) }),
            ))?;
            return Err(Error::new(
                ErrorCode::Forbidden,
                format!(
                    "a {} list is not allowed for {}: {explanation} ({citation})",
                    list.category.code(),
                    owner.name
                ),
            )
            .with_details(json!({ "rule": rule, "citation": citation, "audit_seq": seq })));
        }
        Ok(())
    }

    fn own_list(&self, caller: &Caller, list_id: i64) -> Result<HotList> {
        caller.require(Permission::ManageHotlists)?;
        let list = self
            .hotlists
            .list(list_id)
            .map_err(|_| Error::not_found(format!("hot list {list_id} not found")))?;
        caller.require_for(
            Permission::ManageHotlists,
            &list.owner,
            &format!("hot list {list_id}"),
        )?;
        Ok(list)
    }

    /// Adds or replaces entries of one of the caller's agency's lists; the entries' reasons are
    /// screened against the owner's law (audited).
    ///
    /// # Errors
    /// 403/404 as for every list change; 400 for a bad entry (then nothing changes).
    pub fn put_hotlist_entries(
        &self,
        caller: &Caller,
        list_id: i64,
        mut entries: Vec<HotEntry>,
        mode: ImportMode,
    ) -> Result<u64> {
        let list = self.own_list(caller, list_id)?;
        if entries.len() > MAX_ENTRIES_PER_REQUEST {
            return Err(Error::bad_request(format!(
                "at most {MAX_ENTRIES_PER_REQUEST} entries per request"
            )));
        }
        let now = self.clock.now();
        for (i, e) in entries.iter_mut().enumerate() {
            sightline_types::PlateText::normalise(&e.plate)
                .map_err(|err| Error::bad_request(format!("entry {}: {err}", i + 1)))?;
            e.reason =
                crate::directory::bounded(&format!("entry {} reason", i + 1), &e.reason, 500)?;
            if e.legal_basis
                .as_ref()
                .is_some_and(|b| b.chars().count() > 200)
                || e.region.as_ref().is_some_and(|r| r.chars().count() > 16)
            {
                return Err(Error::bad_request(format!(
                    "entry {}: legal_basis is at most 200 characters and region at most 16",
                    i + 1
                )));
            }
            e.added_by = caller.name();
            e.added_at = now;
        }
        let owner = self.store.agency(&list.owner)?;
        let reasons: BTreeSet<&str> = entries.iter().map(|e| e.reason.as_str()).collect();
        let reasons: Vec<&str> = reasons.into_iter().collect();
        self.check_own_law(caller, &owner, &list, &reasons)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::HotlistEntries {
                list_id,
                owner: list.owner.clone(),
                mode,
                entries,
            })
        })?;
        Ok(seq)
    }

    /// Replaces the agencies a list is shared with (each partner's cameras run it only where the
    /// partner agreed and its law allows).
    ///
    /// # Errors
    /// 403/404 as for every list change; 404 for an unknown agency.
    pub fn share_hotlist(&self, caller: &Caller, list_id: i64, with: &[AgencyId]) -> Result<u64> {
        let list = self.own_list(caller, list_id)?;
        if with.len() > 500 {
            return Err(Error::bad_request(
                "a list is shared with at most 500 agencies",
            ));
        }
        for a in with {
            self.store.agency(a)?;
        }
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::HotlistShare {
                list_id,
                owner: list.owner.clone(),
                shared_with: with.to_vec(),
            })
        })?;
        Ok(seq)
    }

    /// Ends a list: it stops matching everywhere at once and stays on record.
    ///
    /// # Errors
    /// 403/404 as for every list change.
    pub fn end_hotlist(&self, caller: &Caller, list_id: i64) -> Result<u64> {
        let list = self.own_list(caller, list_id)?;
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::HotlistEnd {
                list_id,
                owner: list.owner.clone(),
            })
        })?;
        Ok(seq)
    }

    /// The lists the caller's agency owns or that are shared with it.
    ///
    /// # Errors
    /// 403 without `receive_alerts` or `manage_hotlists`.
    pub fn list_hotlists(&self, caller: &Caller) -> Result<Vec<HotList>> {
        caller
            .require(Permission::ManageHotlists)
            .or_else(|_| caller.require(Permission::ReceiveAlerts))?;
        Ok(match caller.principal() {
            Some(p) => self.hotlists.lists_for(&p.agency.id),
            None => self.hotlists.all_lists(),
        })
    }

    /// The entries of one of the caller's agency's lists.
    ///
    /// # Errors
    /// 403/404 as for every list change.
    pub fn hotlist_entries(&self, caller: &Caller, list_id: i64) -> Result<Vec<HotEntry>> {
        self.own_list(caller, list_id)?;
        Ok(self.hotlists.entries(list_id))
    }

    /// The lists the caller's agency owns or is shared that hold a plate (the vehicle page's
    /// hot-list status).
    ///
    /// # Errors
    /// 403 without `receive_alerts`.
    pub fn lists_holding(&self, caller: &Caller, plate: &str) -> Result<Vec<HotList>> {
        caller.require(Permission::ReceiveAlerts)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("hot lists belong to a user's agency"))?;
        let plate = sightline_types::PlateText::normalise(plate)?;
        Ok(self
            .hotlists
            .lists_for(&who.agency.id)
            .into_iter()
            .filter(|l| {
                self.hotlists
                    .entries(l.id)
                    .iter()
                    .any(|e| e.plate == plate.as_str())
            })
            .collect())
    }

    /// Recent hits the caller's agency may see: on its lists and on its cameras.
    ///
    /// # Errors
    /// 403 without `receive_alerts`.
    pub fn recent_hits(&self, caller: &Caller, limit: usize) -> Result<Vec<Hit>> {
        caller.require(Permission::ReceiveAlerts)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("alerts belong to a user's agency"))?;
        Ok(self.hotlists.hits_for(&who.agency.id, limit.min(1000))?)
    }

    /// The live feed of hot-list hits, for callers with `receive_alerts`; each hit on it is for
    /// the caller only if [`Node::may_see_hit`] says so.
    ///
    /// # Errors
    /// 403 without `receive_alerts`.
    pub fn subscribe_alerts(
        &self,
        caller: &Caller,
    ) -> Result<tokio::sync::broadcast::Receiver<sightline_hotlist::Hit>> {
        caller.require(Permission::ReceiveAlerts)?;
        Ok(self.alerts.subscribe())
    }

    /// Tells whether the caller may see a hit as it is broadcast (its list's or camera's agency).
    pub fn may_see_hit(&self, caller: &Caller, hit: &Hit) -> bool {
        caller.require(Permission::ReceiveAlerts).is_ok()
            && caller
                .principal()
                .is_none_or(|p| p.agency.id == hit.list_owner || p.agency.id == hit.camera_owner)
    }

    /// Matches freshly stored reads against the lists that run on their camera; audits the hits,
    /// then records them and sends alerts. Runs after the ingest acknowledgement, so it never
    /// delays ingest.
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
            let _guard = handle.enter();
            node.record_hits(hits)
        });
    }

    /// Audits hits (one transaction), then stores them and sends the alerts. A hit whose audit
    /// entry could not be written is neither stored nor sent. Webhook deliveries are spawned on
    /// the current runtime.
    pub fn record_hits(self: &Arc<Self>, hits: Vec<Hit>) {
        let drafts: Vec<EntryDraft> = hits
            .iter()
            .map(|h| {
                EntryDraft::new(
                    Actor::system(),
                    Action::HotlistHit,
                    "ok",
                    vec![h.list_owner.clone(), h.camera_owner.clone()],
                    json!({ "list_id": h.list_id, "entry_id": h.entry_id, "read_seq": h.read_seq,
                            "fuzzy": h.fuzzy, "camera_id": h.camera_id, "category": h.category }),
                )
            })
            .collect();
        let appended = if self.fault_audit.load(std::sync::atomic::Ordering::Relaxed) {
            Err(Error::new(
                ErrorCode::Unavailable,
                "audit log unavailable (fault injected)",
            ))
        } else {
            self.audit.append_batch(drafts).map_err(Error::from)
        };
        match appended {
            Ok(r) => {
                self.metrics.audit_appends.inc_by(r.len() as u64);
            }
            Err(e) => {
                tracing::error!(error = %e, hits = hits.len(), "auditing hot-list hits failed; they are not delivered");
                return;
            }
        }
        let recorded = match self.hotlists.record_hits(hits) {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "recording hot-list hits failed");
                return;
            }
        };
        for h in recorded {
            tracing::info!(
                hit = h.id,
                list = h.list_id,
                fuzzy = h.fuzzy,
                "hot-list hit"
            );
            self.deliver_webhooks(&h);
            let _ = self.alerts.send(h);
        }
    }

    /// Records an acknowledgement of a hit (audited).
    ///
    /// # Errors
    /// 403 without `receive_alerts`; 404 when the hit is not the caller's agency's; 400 for an
    /// unknown outcome.
    pub fn acknowledge_hit(&self, caller: &Caller, id: i64, outcome: &str) -> Result<Hit> {
        caller.require(Permission::ReceiveAlerts)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("alerts belong to a user's agency"))?;
        if !sightline_hotlist::ACK_OUTCOMES.contains(&outcome) {
            return Err(Error::bad_request(format!(
                "outcome must be one of {}",
                sightline_hotlist::ACK_OUTCOMES.join(", ")
            )));
        }
        let hit = self.hotlists.hit_for(id, &who.agency.id)?;
        self.commit(caller, |_| {
            Ok(Change::HitAck {
                hit_id: id,
                agency: who.agency.id.clone(),
                list_owner: hit.list_owner.clone(),
                outcome: outcome.to_owned(),
                by: who.user.username.clone(),
            })
        })?;
        Ok(self.hotlists.hit_for(id, &who.agency.id)?)
    }

    /// Today's keyed-hash hot list for a hit-only camera (only the lists that run on it).
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

/// A bounded excerpt of free text for the audit log.
pub fn excerpt(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
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
