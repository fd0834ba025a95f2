//! Saved searches: an officer keeps a search (purpose and case number included) to run again.
//! Saving is a change like any other (permission `save_searches`, audited before it is filed);
//! a saved search is its owner's alone (another user, even of the same agency, gets a 404); and
//! every run is a new search through the one [`sightline_search::Searcher`], checked against
//! every data owner's law and audited as a `search` entry of its own. A saved search is deleted
//! by its officer or by a supervisor of the officer's agency (who answers for the agency's
//! standing searches when an officer moves on); to anyone else it does not exist (404), and the
//! deletion is a change audited before the row goes (`saved_search.delete`).

use crate::admin::Audited;
use crate::changes::Change;
use crate::directory::bounded;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use sightline_store::{IdTable, SavedRow};
use sightline_types::{ErrorCode, Purpose, Role, SavedSearch, SavedSearchSpec, SearchResponse};

/// Most saved searches one user keeps.
pub const MAX_SAVED_PER_USER: u64 = 100;

fn row_to_saved(r: SavedRow) -> Result<SavedSearch> {
    let spec: SavedSearchSpec = serde_json::from_str(&r.body)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("saved search {}: {e}", r.id)))?;
    Ok(SavedSearch {
        id: r.id,
        user_id: r.user_id,
        agency: sightline_types::AgencyId::parse(&r.agency)?,
        spec,
        created_at: r.created_at,
    })
}

/// The 404 of a saved search the caller may not see (the same whether it exists or not).
fn not_found(id: i64) -> Error {
    Error::not_found(format!("saved search {id} not found"))
        .keyed("err.saved_not_found", [id.to_string()])
}

/// Checks a spec and returns it with its texts trimmed.
fn checked(spec: &SavedSearchSpec) -> Result<SavedSearchSpec> {
    let mut s = spec.clone();
    s.name = bounded("name", &s.name, 100)?;
    s.purpose = Purpose::parse(s.purpose.trim())?.code().to_owned();
    s.case_number = bounded("case_number", &s.case_number, 64)?;
    s.reason = match s.reason.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(r) => Some(bounded("reason", r, 500)?),
    };
    s.on_behalf_of = s
        .on_behalf_of
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| sightline_types::AgencyId::parse(a).map(|a| a.to_string()))
        .transpose()?;
    if s.plate.is_some() == s.description.is_some() {
        return Err(Error::bad_request(
            "a saved search needs exactly one of `plate` and `description`",
        ));
    }
    if !(1..=8784).contains(&s.hours) {
        return Err(Error::bad_request("hours must be 1 to 8784"));
    }
    if let Some(c) = &s.cameras
        && !(1..=100).contains(&c.len())
    {
        return Err(Error::bad_request("cameras must list 1 to 100 cameras"));
    }
    if let Some(a) = &s.area
        && !(a.lat.is_finite()
            && a.lon.is_finite()
            && (-90.0..=90.0).contains(&a.lat)
            && (-180.0..=180.0).contains(&a.lon)
            && a.radius_m > 0.0
            && a.radius_m <= 1_000_000.0)
    {
        return Err(Error::bad_request(
            "area needs a latitude, a longitude and a radius of up to 1,000 km",
        ));
    }
    Ok(s)
}

impl Node {
    /// Saves a search for the calling user (audited before it is filed).
    ///
    /// # Errors
    /// 403 without `save_searches`; 400 for an invalid spec or a caller that is not a user; 409
    /// past [`MAX_SAVED_PER_USER`]; 503 when the audit log cannot record it.
    pub fn save_search(
        &self,
        caller: &Caller,
        spec: &SavedSearchSpec,
    ) -> Result<Audited<SavedSearch>> {
        caller.require(Permission::SaveSearches)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("searches are saved by a signed-in user"))?;
        let spec = checked(spec)?;
        let (change, seq) = self.commit(caller, |n| {
            if n.store.saved_search_count(who.user.id.0)? >= MAX_SAVED_PER_USER {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    format!("you already keep {MAX_SAVED_PER_USER} saved searches"),
                ));
            }
            Ok(Change::SavedSearchCreate {
                search: SavedSearch {
                    id: n.store.next_id(IdTable::SavedSearches)?,
                    user_id: who.user.id.0,
                    agency: who.agency.id.clone(),
                    spec: spec.clone(),
                    created_at: n.clock.now(),
                },
            })
        })?;
        let Change::SavedSearchCreate { search } = change else {
            unreachable!("save_search commits a SavedSearchCreate")
        };
        Ok(Audited {
            item: search,
            audit_seq: seq,
        })
    }

    /// Files a saved search (the apply step of its change; idempotent).
    pub(crate) fn apply_saved_search(&self, s: &SavedSearch) -> Result<()> {
        let body = serde_json::to_string(&s.spec)
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        self.store.insert_saved_search(&SavedRow {
            id: s.id,
            user_id: s.user_id,
            agency: s.agency.to_string(),
            body,
            created_at: s.created_at,
        })?;
        Ok(())
    }

    /// The calling user's own saved searches, newest first.
    ///
    /// # Errors
    /// 403 without `save_searches`; store failures.
    pub fn saved_searches(&self, caller: &Caller) -> Result<Vec<SavedSearch>> {
        caller.require(Permission::SaveSearches)?;
        let Some(who) = caller.principal() else {
            return Ok(Vec::new());
        };
        self.store
            .saved_searches_of(who.user.id.0)?
            .into_iter()
            .map(row_to_saved)
            .collect()
    }

    /// One of the calling user's saved searches.
    ///
    /// # Errors
    /// 403 without `save_searches`; 404 when it does not exist or is someone else's.
    pub fn saved_search(&self, caller: &Caller, id: i64) -> Result<SavedSearch> {
        caller.require(Permission::SaveSearches)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("saved searches belong to a signed-in user"))?;
        match self.store.saved_search(id)? {
            Some(r) if r.user_id == who.user.id.0 => row_to_saved(r),
            _ => Err(not_found(id)),
        }
    }

    /// Deletes a saved search: the caller's own, or (a supervisor) one of an officer of the
    /// caller's agency. Audited (`saved_search.delete`) before the row is removed. Returns the
    /// audit entry's sequence number.
    ///
    /// # Errors
    /// 403 without `save_searches`; 404 when it does not exist or the caller may not delete it
    /// (another officer's, or another agency's, whatever the caller's role); 503 when the audit
    /// log cannot record it (then nothing is deleted).
    pub fn delete_saved_search(&self, caller: &Caller, id: i64) -> Result<u64> {
        caller.require(Permission::SaveSearches)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("saved searches belong to a signed-in user"))?;
        let (_, seq) = self.commit(caller, |n| {
            let row = n.store.saved_search(id)?.ok_or_else(|| not_found(id))?;
            let own = row.user_id == who.user.id.0;
            let supervised =
                who.user.role == Role::Supervisor && row.agency == who.agency.id.as_str();
            if !(own || supervised) {
                return Err(not_found(id));
            }
            Ok(Change::SavedSearchDelete {
                id,
                user_id: row.user_id,
                agency: sightline_types::AgencyId::parse(&row.agency)?,
            })
        })?;
        Ok(seq)
    }

    /// Runs one of the calling user's saved searches again, over the last `hours` hours to now:
    /// a new search through the one search path (policy per data owner, its own audit entry).
    /// Returns the saved search with the search's answer.
    ///
    /// # Errors
    /// As [`Node::saved_search`]; then whatever the search refuses (audited).
    pub fn run_saved_search(
        &self,
        caller: &Caller,
        id: i64,
        with_crops: bool,
    ) -> Result<(SavedSearch, SearchResponse)> {
        let saved = self.saved_search(caller, id)?;
        caller.require(Permission::SearchPlates)?;
        let who = caller
            .principal()
            .ok_or_else(|| Error::bad_request("saved searches belong to a signed-in user"))?;
        let req = saved.spec.request(self.clock.now(), with_crops);
        let resp = self.searcher.search_saved(who, req, saved.id)?;
        Ok((saved, resp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_types::PlateQuery;

    fn spec() -> SavedSearchSpec {
        SavedSearchSpec {
            name: " Stolen Civic ".into(),
            purpose: "stolen_vehicle".into(),
            case_number: "26-1".into(),
            reason: Some(" ".into()),
            on_behalf_of: None,
            plate: Some(PlateQuery::Exact("ABC123".into())),
            description: None,
            hours: 48,
            cameras: Some(vec![1, 2]),
            area: None,
        }
    }

    #[test]
    fn test_checked_trims_and_refuses_bad_specs() {
        let s = checked(&spec()).unwrap();
        assert_eq!((s.name.as_str(), s.reason), ("Stolen Civic", None));
        let bad = [
            SavedSearchSpec {
                purpose: "curiosity".into(),
                ..spec()
            },
            SavedSearchSpec {
                case_number: String::new(),
                ..spec()
            },
            SavedSearchSpec {
                plate: None,
                ..spec()
            },
            SavedSearchSpec { hours: 0, ..spec() },
            SavedSearchSpec {
                cameras: Some(vec![]),
                ..spec()
            },
        ];
        for b in bad {
            assert!(checked(&b).is_err(), "{b:?}");
        }
    }
}
