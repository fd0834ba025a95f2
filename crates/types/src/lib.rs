//! Domain types shared by every Sightline crate: identifiers, plates, agencies, reads, purposes,
//! search requests and the error codes that the server maps to HTTP statuses.
//!
//! This crate does no I/O. Everything else depends on it and it depends on nothing of ours, so
//! the vocabulary of the system is defined in one place; see `ARCHITECTURE.md`.
#![deny(missing_docs)]

pub mod agency;
pub mod analysis;
pub mod clock;
pub mod error;
pub mod permission;
pub mod plate;
pub mod purpose;
pub mod read;
pub mod saved;
pub mod search;

pub use agency::{Agency, AgencyId, AgencyKind, Camera, CameraId, Jurisdiction, Role, UserId};
pub use analysis::{
    AnalysisMatch, AnalysisQuery, AnalysisRequest, AnalysisResponse, ConvoyQuery, EvidenceFile,
    EvidencePackage, MultiLocationQuery, Place, Warrant,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, ErrorCode, MessageKey, Result};
pub use permission::Permission;
pub use plate::{PlatePattern, PlateText, canonical_plate};
pub use purpose::Purpose;
pub use read::{NewRead, StoredRead, VehicleAttributes};
pub use saved::{SavedSearch, SavedSearchSpec};
pub use search::{
    DescriptionQuery, GeoRadius, OwnerDecision, OwnerOutcome, PlateQuery, SearchQuery,
    SearchRequest, SearchResponse, TimeWindow,
};
