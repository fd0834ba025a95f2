//! Gathers the facts the policy needs once per search (agreements, declarations, camera
//! positions, screening of the free text) and builds a [`PolicyRequest`] per data owner.

use crate::validate::ParsedSearch;
use crate::{Principal, Result};
use chrono::{DateTime, Utc};
use sightline_policy::screening::{Field, ScreenHit, infer_purposes};
use sightline_policy::{PartyFacts, PolicyEngine, PolicyRequest, case_number_shape};
use sightline_store::{AgreementScope, Declaration, SharingAgreement, Store};
use sightline_types::{Agency, AgencyId, Purpose};
use std::collections::{BTreeSet, HashMap};

pub(crate) struct Facts<'a> {
    who: &'a Principal,
    search: &'a ParsedSearch,
    now: DateTime<Utc>,
    agreements: Vec<SharingAgreement>,
    declarations: Vec<Declaration>,
    locations: HashMap<AgencyId, (f64, f64)>,
    purposes: Vec<Purpose>,
    /// What the screening rules found in the reason and on-behalf-of text.
    pub(crate) hits: Vec<ScreenHit>,
    /// A weak or ambiguous match that lets the search run but flags it for supervisor review.
    pub(crate) review: Option<ScreenHit>,
}

impl<'a> Facts<'a> {
    pub(crate) fn gather(
        store: &Store,
        who: &'a Principal,
        search: &'a ParsedSearch,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let agreements = store
            .agreements()?
            .into_iter()
            .filter(|a| a.is_active(now) && a.scope == AgreementScope::Search)
            .collect();
        let declarations = store
            .declarations()?
            .into_iter()
            .filter(|d| d.is_active(now))
            .collect();
        // Radius agreements are measured from the grantee's registered location, which only the
        // node operator sets: a grantee cannot move into range by placing a camera.
        let locations = store.agency_locations()?;
        let behalf_texts = search
            .on_behalf_of
            .as_ref()
            .map(|a| format!("{} {}", a.id, a.name))
            .unwrap_or_default();
        // The requester's own agency name is screened too: a search by an immigration agency is an
        // immigration search, whatever reason is typed.
        let own = format!("{} {}", who.agency.id, who.agency.name);
        // Strong matches add the purpose they signal (the law then decides); weak or ambiguous
        // ones let the search run but are flagged for review in its audit entry.
        let screening = sightline_policy::screening::screen_fields(&[
            (Field::Reason, &search.reason),
            (Field::OnBehalfOf, &behalf_texts),
            (Field::Requester, &own),
        ]);
        let (purposes, hits, review) = match screening {
            Ok(s) => (
                s.purposes(search.purpose),
                s.hits.clone(),
                s.needs_review().then(|| s.decisive().cloned()).flatten(),
            ),
            Err(_) => infer_purposes(search.purpose, &[&search.reason, &behalf_texts, &own])
                .map(|(p, h)| (p, h, None))
                .unwrap_or_else(|_| (vec![search.purpose], Vec::new(), None)),
        };
        Ok(Facts {
            who,
            search,
            now,
            agreements,
            declarations,
            locations,
            purposes,
            hits,
            review,
        })
    }

    fn granted(&self, owner: &Agency, to: &Agency) -> Vec<Purpose> {
        let pos = self.locations.get(&to.id).copied();
        let set: BTreeSet<Purpose> = self
            .agreements
            .iter()
            .filter(|a| a.owner == owner.id && a.grantee.covers(to, pos))
            .flat_map(|a| a.purposes.iter().copied())
            .collect();
        set.into_iter().collect()
    }

    fn declared(&self, agency: &Agency, owner: &Agency) -> bool {
        self.declarations
            .iter()
            .any(|d| d.agency == agency.id && d.jurisdiction == owner.jurisdiction)
    }

    pub(crate) fn request_for(&self, engine: &PolicyEngine, owner: &Agency) -> PolicyRequest {
        let me = &self.who.agency;
        let behalf = self.search.on_behalf_of.as_ref().unwrap_or(me);
        let window = self.search.window;
        let window_minutes = (window.to - window.from).num_minutes().max(0);
        PolicyRequest {
            user_id: self.who.user.id.0,
            role: self.who.user.role,
            requester: PartyFacts::from(me),
            on_behalf_of: PartyFacts::from(behalf),
            owner: PartyFacts::from(owner),
            purpose: self.search.purpose,
            purposes: self.purposes.clone(),
            has_case_number: !self.search.case_number.is_empty(),
            case_number_shape: case_number_shape(&self.search.case_number),
            query_kind: if self.search.plate.is_some() {
                "plate"
            } else {
                "description"
            }
            .into(),
            has_warrant: false,
            window_hours: (window_minutes + 59) / 60,
            lookback_minutes: (self.now - window.from).num_minutes().max(0),
            owner_retention_minutes: engine
                .retention_minutes(owner.jurisdiction.as_str(), !owner.kind.is_public()),
            agreement_purposes: if owner.id == me.id {
                Vec::new()
            } else {
                self.granted(owner, me)
            },
            on_behalf_agreement_purposes: if owner.id == behalf.id {
                Vec::new()
            } else {
                self.granted(owner, behalf)
            },
            declaration_on_record: self.declared(me, owner),
            on_behalf_declaration_on_record: self.declared(behalf, owner),
        }
    }
}
