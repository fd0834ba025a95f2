//! The fixed purpose taxonomy every search must declare.
//!
//! Codes are stable strings that law packs refer to. Offence categories follow the FBI's NIBRS
//! groups; the rest are the non-offence reasons ALPR is used for, plus the categories that some
//! laws prohibit (so that a request declaring them can be refused by name, not guessed at).

use crate::agency::coded_enum;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

coded_enum! {
    /// Why a search is run.
    Purpose, "purpose" {
        /// NIBRS 09A–09C.
        Homicide => "homicide",
        /// NIBRS 100.
        Kidnapping => "kidnapping",
        /// NIBRS 11A–11D, 36A–36B.
        SexOffense => "sex_offense",
        /// NIBRS 120.
        Robbery => "robbery",
        /// NIBRS 13A–13C.
        Assault => "assault",
        /// NIBRS 200.
        Arson => "arson",
        /// NIBRS 220.
        Burglary => "burglary",
        /// NIBRS 23A–23H.
        Larceny => "larceny",
        /// NIBRS 240.
        MotorVehicleTheft => "motor_vehicle_theft",
        /// NIBRS 26A–26H.
        Fraud => "fraud",
        /// NIBRS 35A–35B.
        Drugs => "drugs",
        /// NIBRS 520.
        Weapons => "weapons",
        /// NIBRS 64A–64B.
        HumanTrafficking => "human_trafficking",
        /// Terrorism or a threat to public safety.
        Terrorism => "terrorism",
        /// Another criminal offence.
        OtherCrime => "other_crime",
        /// Missing or endangered person.
        MissingPerson => "missing_person",
        /// AMBER alert (abducted child).
        AmberAlert => "amber_alert",
        /// Silver alert (missing elderly or impaired person).
        SilverAlert => "silver_alert",
        /// Serving an outstanding warrant.
        Warrant => "warrant",
        /// Stolen vehicle or plate.
        StolenVehicle => "stolen_vehicle",
        /// Following up an alert from a hot list.
        HotlistFollowup => "hotlist_followup",
        /// Traffic enforcement in general (speeding, unpaid tickets, inspections).
        TrafficEnforcement => "traffic_enforcement",
        /// A suspended or revoked registration or driving licence: the narrower purpose some
        /// statutes list (New Hampshire RSA 261:75-b) where general traffic enforcement is not.
        SuspendedRegistration => "suspended_registration",
        /// Civil immigration enforcement (prohibited by several laws).
        CivilImmigration => "civil_immigration",
        /// Investigating reproductive or gender-affirming health care (prohibited in some states).
        ReproductiveHealth => "reproductive_health",
        /// Monitoring protest, assembly, religion or other First-Amendment activity.
        FirstAmendment => "first_amendment",
        /// Targeting by ethnicity.
        Ethnicity => "ethnicity",
        /// Personal, non-official use.
        PersonalUse => "personal_use",
    }
}

/// Purposes that count as serious crime for multi-location and convoy analysis by default
/// (each law pack may narrow this list; `base.cedar` carries the same list).
pub const SERIOUS_CRIME: &[Purpose] = &[
    Purpose::Homicide,
    Purpose::Kidnapping,
    Purpose::SexOffense,
    Purpose::Robbery,
    Purpose::HumanTrafficking,
    Purpose::Terrorism,
    Purpose::AmberAlert,
    Purpose::MissingPerson,
];

impl Purpose {
    /// Tells whether the purpose is one of [`SERIOUS_CRIME`].
    pub fn is_serious_crime(self) -> bool {
        SERIOUS_CRIME.contains(&self)
    }

    /// Returns an English label for forms and reports.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Homicide => "Homicide",
            Purpose::Kidnapping => "Kidnapping / abduction",
            Purpose::SexOffense => "Sex offence",
            Purpose::Robbery => "Robbery",
            Purpose::Assault => "Assault",
            Purpose::Arson => "Arson",
            Purpose::Burglary => "Burglary",
            Purpose::Larceny => "Larceny / theft",
            Purpose::MotorVehicleTheft => "Motor vehicle theft",
            Purpose::Fraud => "Fraud",
            Purpose::Drugs => "Drugs / narcotics",
            Purpose::Weapons => "Weapons violation",
            Purpose::HumanTrafficking => "Human trafficking",
            Purpose::Terrorism => "Terrorism / public safety threat",
            Purpose::OtherCrime => "Other criminal offence",
            Purpose::MissingPerson => "Missing or endangered person",
            Purpose::AmberAlert => "AMBER alert",
            Purpose::SilverAlert => "Silver alert",
            Purpose::Warrant => "Warrant service",
            Purpose::StolenVehicle => "Stolen vehicle or plate",
            Purpose::HotlistFollowup => "Hot-list alert follow-up",
            Purpose::TrafficEnforcement => "Traffic enforcement",
            Purpose::SuspendedRegistration => "Suspended / revoked registration or licence",
            Purpose::CivilImmigration => "Civil immigration enforcement",
            Purpose::ReproductiveHealth => "Reproductive / gender-affirming care investigation",
            Purpose::FirstAmendment => "First-Amendment activity",
            Purpose::Ethnicity => "Ethnicity-based targeting",
            Purpose::PersonalUse => "Personal use",
        }
    }

    /// Returns the NIBRS offence code group, for offence categories.
    pub fn nibrs(self) -> Option<&'static str> {
        Some(match self {
            Purpose::Homicide => "09A",
            Purpose::Kidnapping => "100",
            Purpose::SexOffense => "11A",
            Purpose::Robbery => "120",
            Purpose::Assault => "13A",
            Purpose::Arson => "200",
            Purpose::Burglary => "220",
            Purpose::Larceny => "23H",
            Purpose::MotorVehicleTheft => "240",
            Purpose::Fraud => "26A",
            Purpose::Drugs => "35A",
            Purpose::Weapons => "520",
            Purpose::HumanTrafficking => "64A",
            _ => return None,
        })
    }
}
