//! Agencies (tenants and data owners), their users' roles, and cameras.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An agency's identifier: a lower-case slug such as `oak-park-pd`, stable and readable in
/// policies and audit entries.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "oak-park-pd")]
pub struct AgencyId(String);

impl AgencyId {
    /// Parses a slug: 2–48 characters of `a-z`, `0-9` and `-`, starting with a letter.
    ///
    /// # Errors
    /// Returns an error naming the rule that the slug breaks.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why| Error::InvalidId {
            kind: "agency id",
            value: s.to_owned(),
            why,
        };
        if !(2..=48).contains(&s.len()) {
            return Err(bad("must be 2 to 48 characters"));
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(bad("must start with a lower-case letter"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(bad("may contain only a-z, 0-9 and -"));
        }
        Ok(AgencyId(s.to_owned()))
    }

    /// Returns the slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgencyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AgencyId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        AgencyId::parse(&s)
    }
}

impl From<AgencyId> for String {
    fn from(a: AgencyId) -> String {
        a.0
    }
}

/// Defines a string-coded enum with parsing, display, serde and a list of all codes.
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident, $kind:literal { $($(#[$vm:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Returns the stable code used on the wire and in policies.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a code.
            ///
            /// # Errors
            /// Returns an error listing the accepted codes.
            pub fn parse(s: &str) -> Result<Self> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(Error::UnknownValue {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: [$($code),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.code().to_owned()
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum! {
    /// What kind of organisation an agency is; laws treat them differently.
    AgencyKind, "agency kind" {
        /// City or town police.
        Municipal => "municipal",
        /// County sheriff.
        Sheriff => "sheriff",
        /// State (or Land) police.
        State => "state",
        /// Federal agency.
        Federal => "federal",
        /// Private operator (HOA, retailer, parking company).
        Private => "private",
    }
}

impl AgencyKind {
    /// Tells whether this is a public agency (everything but private operators).
    pub fn is_public(self) -> bool {
        self != AgencyKind::Private
    }
}

coded_enum! {
    /// A user's role within their agency.
    Role, "role" {
        /// Runs searches, receives alerts.
        Officer => "officer",
        /// An officer who also reviews others' work.
        Supervisor => "supervisor",
        /// Manages the agency's cameras, users, lists and agreements.
        Admin => "admin",
        /// Reads the audit log and findings.
        Auditor => "auditor",
    }
}

impl Role {
    /// Tells whether this role may run plate searches at all (policy still decides per owner).
    pub fn may_search(self) -> bool {
        crate::Permission::SearchPlates.allows(self, false)
    }
}

/// An ISO 3166 jurisdiction: a country (`US`, `DE`) or a subdivision (`US-IL`, `DE-BY`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "US-IL")]
pub struct Jurisdiction(String);

impl Jurisdiction {
    /// Parses `CC` or `CC-SSS` (upper-case letters and digits, subdivision 1–3 characters).
    ///
    /// # Errors
    /// Returns an error when the code is not ISO 3166 shaped.
    pub fn parse(s: &str) -> Result<Self> {
        let up = s.trim().to_ascii_uppercase();
        let (country, sub) = match up.split_once('-') {
            Some((c, s)) => (c, Some(s)),
            None => (up.as_str(), None),
        };
        let country_ok = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
        let sub_ok = sub.is_none_or(|s| {
            (1..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if country_ok && sub_ok {
            Ok(Jurisdiction(up))
        } else {
            Err(Error::Jurisdiction(s.to_owned()))
        }
    }

    /// Returns the full code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the country part (`US` of `US-IL`).
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Jurisdiction {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Jurisdiction::parse(&s)
    }
}

impl From<Jurisdiction> for String {
    fn from(j: Jurisdiction) -> String {
        j.0
    }
}

/// An agency: a tenant of the node and the owner of its cameras' data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Agency {
    /// Stable slug.
    pub id: AgencyId,
    /// Display name.
    pub name: String,
    /// Kind of organisation.
    pub kind: AgencyKind,
    /// Where it operates, and so which law governs its data.
    pub jurisdiction: Jurisdiction,
}

/// A user's numeric identifier.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[schema(value_type = i64)]
pub struct UserId(pub i64);

/// A camera's numeric identifier.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[schema(value_type = i64)]
pub struct CameraId(pub i64);

impl fmt::Display for CameraId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A fixed or mobile camera owned by an agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Camera {
    /// Identifier.
    pub id: CameraId,
    /// Owning agency: the data owner of every read it makes.
    pub owner: AgencyId,
    /// Display name.
    pub name: String,
    /// Latitude in degrees (WGS 84).
    pub lat: f64,
    /// Longitude in degrees (WGS 84).
    pub lon: f64,
    /// Direction the camera faces, degrees clockwise from north.
    pub bearing: Option<f64>,
    /// True for a vehicle-mounted camera (reads carry their own position).
    pub mobile: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_agency_id_rules() {
        assert!(AgencyId::parse("oak-park-pd").is_ok());
        assert!(AgencyId::parse("Oak").is_err());
        assert!(AgencyId::parse("9ab").is_err());
        assert!(AgencyId::parse("a b").is_err());
    }

    #[test]
    fn test_jurisdiction_parse() {
        assert_eq!(Jurisdiction::parse("us-il").unwrap().as_str(), "US-IL");
        assert_eq!(Jurisdiction::parse("DE-BY").unwrap().country(), "DE");
        assert!(Jurisdiction::parse("DE").is_ok());
        assert!(Jurisdiction::parse("Illinois").is_err());
        assert!(Jurisdiction::parse("US-ILLX").is_err());
    }

    #[test]
    fn test_coded_enum_roundtrip() {
        for k in AgencyKind::ALL {
            assert_eq!(AgencyKind::parse(k.code()).unwrap(), *k);
        }
        let e = Role::parse("chief").unwrap_err().to_string();
        assert!(e.contains("officer, supervisor, admin, auditor"), "{e}");
    }
}
