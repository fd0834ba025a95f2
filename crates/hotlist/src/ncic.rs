//! An NCIC-style fixed-width hot-list extract.
//!
//! Layout supported (1-based columns; lines shorter than 20 characters are refused with their
//! line number; blank lines and lines starting with `#` are skipped). The reason is optional: a
//! record may end after its expiry (issue 15: such records were refused for being shorter than
//! 21 characters although the reason has a default).
//!
//! | columns | field | notes |
//! |---|---|---|
//! | 1–10 | plate | left-aligned, space-padded |
//! | 11–12 | issuing state | two letters, e.g. `IL` (stored as `US-IL`) |
//! | 13–20 | expiry | `YYYYMMDD` (end of that day, UTC), or eight spaces / `00000000` for none |
//! | 21– | reason | free text, e.g. the record type and originating agency |

use crate::{Error, HotEntry, Result};
use chrono::{DateTime, NaiveDate, Utc};

/// Parses an extract into entries added by `by` at `now`.
///
/// # Errors
/// `Invalid` naming the first bad line.
pub fn parse(text: &str, by: &str, now: DateTime<Utc>) -> Result<Vec<HotEntry>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        if chars.len() < 20 {
            return Err(Error::Invalid(format!(
                "line {n}: shorter than 20 characters (plate, state and expiry columns); see the documented layout"
            )));
        }
        let field = |a: usize, b: usize| chars[a..b].iter().collect::<String>().trim().to_owned();
        let plate = field(0, 10);
        let state = field(10, 12);
        let expiry = field(12, 20);
        if plate.is_empty() {
            return Err(Error::Invalid(format!(
                "line {n}: plate (columns 1-10) is empty"
            )));
        }
        let expires_at = if expiry.is_empty() || expiry == "00000000" {
            None
        } else {
            let d = NaiveDate::parse_from_str(&expiry, "%Y%m%d").map_err(|_| {
                Error::Invalid(format!("line {n}: expiry `{expiry}` is not YYYYMMDD"))
            })?;
            d.succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        };
        out.push(HotEntry {
            id: 0,
            list_id: 0,
            plate,
            region: (!state.is_empty()).then(|| format!("US-{}", state.to_uppercase())),
            reason: Some(field(20, chars.len()))
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "NCIC record".into()),
            legal_basis: Some("NCIC".into()),
            added_by: by.to_owned(),
            added_at: now,
            expires_at,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_fixed_width_layout() {
        let text = "# NCIC extract\nABC1234   IL20261231STOLEN VEHICLE ORI IL0160000\nXYZ9      TX00000000WANTED PERSON\n";
        let e = parse(text, "ncic", Utc::now()).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].plate.as_str(), e[0].region.as_deref()),
            ("ABC1234", Some("US-IL"))
        );
        assert_eq!(
            e[0].expires_at.unwrap().to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
        assert!(e[1].expires_at.is_none());
        assert!(
            parse("SHORT\n", "x", Utc::now())
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
        assert!(parse("ABC1234   IL2026133XSTOLEN\n", "x", Utc::now()).is_err());
    }
}
