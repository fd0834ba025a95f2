//! The in-memory plate dictionary: every distinct plate text once, with a dense numeric id.
//!
//! Texts are packed into one newline-separated buffer so that a wildcard search can scan the
//! whole dictionary with a SIMD substring search (`memchr::memmem`) for the pattern's longest
//! literal, and verify only the candidates. The durable copy is the `plates` table; this is
//! rebuilt from it at start-up.

use crate::{Error, Result};
use rusqlite::Connection;
use sightline_types::PlatePattern;
use std::collections::HashMap;

/// A plate's dictionary id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlateId(pub u32);

/// Distinct plate texts, packed.
#[derive(Debug, Default)]
pub(crate) struct PlateDictionary {
    packed: String,
    /// `ends[i]` is the offset of the newline that ends entry `i` (id `i + 1`).
    ends: Vec<u32>,
    by_text: HashMap<Box<str>, u32>,
}

impl PlateDictionary {
    /// Loads the dictionary from the `plates` table; ids must be dense from 1.
    pub(crate) fn load(conn: &Connection) -> Result<Self> {
        let mut dict = PlateDictionary::default();
        let mut stmt = conn.prepare("SELECT id, text FROM plates ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let text: String = row.get(1)?;
            if id != dict.next_id() as i64 {
                return Err(Error::Corrupt(format!("plate ids not dense at {id}")));
            }
            dict.push(&text);
        }
        Ok(dict)
    }

    /// Returns the number of plates.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns the id the next new plate will get.
    pub(crate) fn next_id(&self) -> u32 {
        u32::try_from(self.ends.len() + 1).unwrap_or(u32::MAX)
    }

    /// Looks up a plate's id.
    pub(crate) fn id_of(&self, text: &str) -> Option<PlateId> {
        self.by_text.get(text).map(|i| PlateId(*i))
    }

    /// Returns a plate's text.
    pub(crate) fn text_of(&self, id: PlateId) -> Option<&str> {
        let i = usize::try_from(id.0).ok()?.checked_sub(1)?;
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] as usize + 1
        };
        self.packed.get(start..end)
    }

    /// Appends a new plate; the caller has made it durable and checked it is new.
    pub(crate) fn push(&mut self, text: &str) -> PlateId {
        debug_assert!(!self.by_text.contains_key(text));
        let id = self.next_id();
        self.packed.push_str(text);
        self.ends
            .push(u32::try_from(self.packed.len()).unwrap_or(u32::MAX));
        self.packed.push('\n');
        self.by_text.insert(text.into(), id);
        PlateId(id)
    }

    /// Returns the ids of all plates matching a wildcard pattern.
    pub(crate) fn match_pattern(&self, pattern: &PlatePattern, cap: usize) -> Vec<PlateId> {
        let literal = pattern.longest_literal();
        let mut out = Vec::new();
        if literal.is_empty() {
            for i in 0..self.ends.len() {
                let id = PlateId(i as u32 + 1);
                if self.text_of(id).is_some_and(|t| pattern.matches(t)) {
                    out.push(id);
                    if out.len() >= cap {
                        break;
                    }
                }
            }
            return out;
        }
        let mut last = None;
        for pos in memchr::memmem::find_iter(self.packed.as_bytes(), literal.as_bytes()) {
            let i = self.ends.partition_point(|e| (*e as usize) < pos);
            if last == Some(i) {
                continue;
            }
            last = Some(i);
            let id = PlateId(i as u32 + 1);
            if self.text_of(id).is_some_and(|t| pattern.matches(t)) {
                out.push(id);
                if out.len() >= cap {
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_push_lookup_and_pattern() {
        let mut d = PlateDictionary::default();
        for p in ["ABC123", "XABC99", "ZZ1", "AB"] {
            d.push(p);
        }
        assert_eq!(d.id_of("ZZ1"), Some(PlateId(3)));
        assert_eq!(d.text_of(PlateId(2)), Some("XABC99"));
        assert_eq!(d.text_of(PlateId(9)), None);
        let ids = |p: &str| d.match_pattern(&PlatePattern::parse(p).unwrap(), 100);
        assert_eq!(ids("ABC*"), vec![PlateId(1)]);
        assert_eq!(ids("*ABC*"), vec![PlateId(1), PlateId(2)]);
        assert_eq!(ids("??"), vec![PlateId(4)]);
        assert_eq!(ids("*9"), vec![PlateId(2)]);
        assert_eq!(
            d.match_pattern(&PlatePattern::parse("*A*").unwrap(), 1)
                .len(),
            1
        );
    }
}
