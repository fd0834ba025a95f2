//! Gathers the facts the policy needs (agreements, declarations) once per search and builds a
//! [`PolicyRequest`] per data owner.

use crate::validate::ParsedSearch;
use crate::{Principal, Result};
use chrono::{DateTime, Utc};
use sightline_policy::{PartyFacts, PolicyRequest};
use sightline_store::{Declaration, SharingAgreement, Store};
use sightline_types::{Agency, Purpose};
use std::collections::BTreeSet;

pub(crate) struct Facts<'a> {
    who: &'a Principal,
    search: &'a ParsedSearch,
    now: DateTime<Utc>,
    agreements: Vec<SharingAgreement>,
    declarations: Vec<Declaration>,
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
            .filter(|a| a.is_active(now))
            .collect();
        let declarations = store.declarations()?;
        Ok(Facts {
            who,
            search,
            now,
            agreements,
            declarations,
        })
    }

    fn granted(&self, owner: &Agency, to: &Agency) -> Vec<Purpose> {
        let set: BTreeSet<Purpose> = self
            .agreements
            .iter()
            .filter(|a| a.owner == owner.id && a.grantee.covers(to))
            .flat_map(|a| a.purposes.iter().copied())
            .collect();
        set.into_iter().collect()
    }

    pub(crate) fn request_for(&self, owner: &Agency) -> PolicyRequest {
        let me = &self.who.agency;
        let behalf = self.search.on_behalf_of.as_ref().unwrap_or(me);
        PolicyRequest {
            user_id: self.who.user.id.0,
            role: self.who.user.role,
            requester: PartyFacts::from(me),
            on_behalf_of: PartyFacts::from(behalf),
            owner: PartyFacts::from(owner),
            purpose: self.search.purpose,
            purposes: vec![self.search.purpose],
            has_case_number: !self.search.case_number.is_empty(),
            agreement_purposes: if owner.id == me.id {
                Vec::new()
            } else {
                self.granted(owner, me)
            },
            on_behalf_agreement_purposes: self.granted(owner, behalf),
            declaration_on_record: self
                .declarations
                .iter()
                .any(|d| d.agency == me.id && d.jurisdiction == owner.jurisdiction),
            lookback_days: (self.now - self.search.window.from).num_days().max(0),
        }
    }
}
