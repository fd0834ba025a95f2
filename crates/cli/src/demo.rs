//! `sightline demo`: a node on the embedded store with a seeded multi-agency network and a
//! traffic simulator feeding reads through the same ingest path cameras use.

use crate::fleet::{self, Vehicle};
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use sightline_server::admin::{
    CreateAgency, CreateAgreement, CreateCamera, CreateDeclaration, CreateUser,
};
use sightline_server::{Node, NodeConfig};
use sightline_store::Grantee;
use sightline_types::{AgencyId, Camera, NewRead};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Options of `sightline demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Data directory.
    pub data: PathBuf,
    /// Listen address.
    pub listen: String,
    /// Simulated reads per second.
    pub rate: f64,
}

struct AgencySpec {
    id: &'static str,
    name: &'static str,
    kind: &'static str,
    jurisdiction: &'static str,
    cameras: &'static [(&'static str, f64, f64, f64)],
}

const AGENCIES: &[AgencySpec] = &[
    AgencySpec {
        id: "oak-park-pd",
        name: "Oak Park Police Department",
        kind: "municipal",
        jurisdiction: "US-IL",
        cameras: &[
            ("Harlem Ave & North Ave", 41.9097, -87.8063, 180.0),
            ("Lake St & Harlem Ave", 41.8858, -87.8030, 90.0),
            ("Madison St & Oak Park Ave", 41.8803, -87.7946, 270.0),
            ("Roosevelt Rd & Austin Blvd", 41.8664, -87.7746, 0.0),
            ("Chicago Ave & Ridgeland Ave", 41.8953, -87.7848, 90.0),
        ],
    },
    AgencySpec {
        id: "lakeside-hoa",
        name: "Lakeside Commons HOA (private)",
        kind: "private",
        jurisdiction: "US-IL",
        cameras: &[
            ("Lakeside Commons main gate", 41.8950, -87.8140, 45.0),
            ("Lakeside Commons north gate", 41.8985, -87.8122, 200.0),
        ],
    },
    AgencySpec {
        id: "harris-county-so",
        name: "Harris County Sheriff's Office",
        kind: "sheriff",
        jurisdiction: "US-TX",
        cameras: &[
            ("I-45 & FM 1960", 30.0155, -95.4297, 0.0),
            ("Westheimer Rd & Gessner Rd", 29.7370, -95.5420, 90.0),
            ("Beltway 8 & Bellaire Blvd", 29.7040, -95.5600, 180.0),
            ("Tomball Pkwy & Louetta Rd", 30.0230, -95.5400, 315.0),
        ],
    },
    AgencySpec {
        id: "sacramento-pd",
        name: "Sacramento Police Department",
        kind: "municipal",
        jurisdiction: "US-CA",
        cameras: &[
            ("J St & 16th St", 38.5760, -121.4880, 90.0),
            ("Broadway & Stockton Blvd", 38.5630, -121.4640, 180.0),
            ("Florin Rd & 24th St", 38.4960, -121.4860, 0.0),
        ],
    },
    AgencySpec {
        id: "pp-muenchen",
        name: "Polizeipräsidium München",
        kind: "state",
        jurisdiction: "DE-BY",
        cameras: &[
            ("Mittlerer Ring / Leopoldstraße", 48.1730, 11.5860, 180.0),
            ("Donnersbergerbrücke", 48.1425, 11.5355, 90.0),
            ("A9 Anschlussstelle Fröttmaning", 48.2110, 11.6140, 0.0),
        ],
    },
    AgencySpec {
        id: "ice-ero-chicago",
        name: "ICE Enforcement and Removal Operations, Chicago",
        kind: "federal",
        jurisdiction: "US",
        cameras: &[],
    },
];

/// Vehicles that matter later (hot lists, demo searches): plate, region, note.
const VEHICLES_OF_INTEREST: &[(&str, &str, &str)] = &[
    (
        "CV 48213",
        "US-IL",
        "reported stolen in Oak Park; also drives through Houston",
    ),
    (
        "KRT-4821",
        "US-TX",
        "wanted in a Harris County robbery case",
    ),
    ("8FJX253", "US-CA", "AMBER-alert vehicle in Sacramento"),
    (
        "M-SL 4711",
        "DE-BY",
        "vehicle of a missing person in Munich",
    ),
];

/// A demo login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoUser {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Role.
    pub role: String,
    /// Agency.
    pub agency: String,
    /// What to try as this user.
    pub try_this: String,
    /// API token issued at seeding.
    pub token: String,
    /// TOTP secret (base32) the account is enrolled with: add it to an authenticator app, or
    /// print the current code with `sightline totp <secret>`.
    #[serde(default)]
    pub totp_secret: String,
    /// How to sign in.
    #[serde(default)]
    pub sign_in: String,
}

/// A demo camera with its device key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoCamera {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: String,
    /// Device key.
    pub device_key: String,
}

/// `demo-credentials.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    /// Users.
    pub users: Vec<DemoUser>,
    /// Cameras.
    pub cameras: Vec<DemoCamera>,
    /// Vehicles of interest.
    pub vehicles_of_interest: Vec<BTreeMap<String, String>>,
    /// What the simulator planted for the investigation searches (convoy, multi-location).
    #[serde(default)]
    pub planted: Option<Planted>,
}

/// One planted sighting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlantedSighting {
    /// Camera id.
    pub camera_id: i64,
    /// Camera name.
    pub camera: String,
    /// Latitude of the camera.
    pub lat: f64,
    /// Longitude of the camera.
    pub lon: f64,
    /// When.
    pub at: DateTime<Utc>,
}

/// Vehicles planted in the backfilled history for the investigation demos: a convoy (two
/// vehicles passing several of Oak Park's cameras together) and a vehicle seen at three sites.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Planted {
    /// The convoy search's target.
    pub convoy_target: String,
    /// The vehicle travelling with it (seconds behind, at every pass).
    pub convoy_companion: String,
    /// The target's passes.
    pub convoy_passes: Vec<PlantedSighting>,
    /// The vehicle seen at three sites.
    pub multi_site: String,
    /// Its three sightings.
    pub multi_site_sightings: Vec<PlantedSighting>,
}

/// Plates of the planted vehicles (not in any fleet, so nothing else reads as them).
const CONVOY_TARGET: &str = "HMC 5521";
const CONVOY_COMPANION: &str = "JTR 7734";
const MULTI_SITE: &str = "MSV 3030";

/// Plans the planted reads relative to `now` on Oak Park's cameras: six passes of the convoy
/// target over the last 40 hours, its companion 8–23 seconds behind each time; the multi-site
/// vehicle at three different cameras, 20, 12 and 4 hours ago.
fn plant(
    node: &Node,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> (Planted, BTreeMap<i64, (Camera, Vec<NewRead>)>) {
    let mut cams: Vec<Camera> = node
        .store
        .cameras()
        .into_iter()
        .filter(|c| c.owner.as_str() == "oak-park-pd" && !c.mobile)
        .collect();
    cams.sort_by_key(|c| c.id.0);
    let mut batches: BTreeMap<i64, (Camera, Vec<NewRead>)> = BTreeMap::new();
    let mut planted = Planted {
        convoy_target: CONVOY_TARGET.into(),
        convoy_companion: CONVOY_COMPANION.into(),
        convoy_passes: Vec::new(),
        multi_site: MULTI_SITE.into(),
        multi_site_sightings: Vec::new(),
    };
    if cams.len() < 3 {
        return (planted, batches);
    }
    let vehicle = |plate: &str, rng: &mut StdRng| {
        let mut v = fleet::vehicle("US-IL", rng);
        v.plate = plate.into();
        v
    };
    let (target, companion, multi) = (
        vehicle(CONVOY_TARGET, rng),
        vehicle(CONVOY_COMPANION, rng),
        vehicle(MULTI_SITE, rng),
    );
    let mut put = |cam: &Camera, v: &Vehicle, at: DateTime<Utc>, rng: &mut StdRng| {
        let read = new_read(v, at, rng);
        batches
            .entry(cam.id.0)
            .or_insert_with(|| (cam.clone(), Vec::new()))
            .1
            .push(read);
    };
    let sighting = |cam: &Camera, at: DateTime<Utc>| PlantedSighting {
        camera_id: cam.id.0,
        camera: cam.name.clone(),
        lat: cam.lat,
        lon: cam.lon,
        at,
    };
    for (i, hours) in [40i64, 31, 22, 14, 7, 2].iter().enumerate() {
        let cam = &cams[i % cams.len()];
        let at = now - Duration::hours(*hours) + Duration::minutes(11);
        put(cam, &target, at, rng);
        put(
            cam,
            &companion,
            at + Duration::seconds(8 + 3 * i as i64),
            rng,
        );
        planted.convoy_passes.push(sighting(cam, at));
    }
    for (i, hours) in [20i64, 12, 4].iter().enumerate() {
        let cam = &cams[(2 * i) % cams.len()];
        let at = now - Duration::hours(*hours) + Duration::minutes(17);
        put(cam, &multi, at, rng);
        planted.multi_site_sightings.push(sighting(cam, at));
    }
    (planted, batches)
}

fn password(rng: &mut impl Rng) -> String {
    const A: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| A[rng.gen_range(0..A.len())] as char)
        .collect()
}

fn user_plan() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    vec![
        (
            "oak-park-pd",
            "officer",
            "Officer Dana Reyes",
            "Search your own and the HOA's data; Texas data only for purposes Harris County shares nationally.",
        ),
        (
            "oak-park-pd",
            "admin",
            "Sgt. Lee Novak (admin)",
            "Add cameras, users and sharing agreements; each change is audited.",
        ),
        (
            "oak-park-pd",
            "auditor",
            "Pat Morgan (auditor)",
            "Read the audit log of searches touching Oak Park data; verify the chain.",
        ),
        (
            "harris-county-so",
            "officer",
            "Deputy Sam Ortiz",
            "Search Harris County data; Illinois data only under an agreement.",
        ),
        (
            "harris-county-so",
            "supervisor",
            "Sgt. Maria Lopez (supervisor)",
            "Keep Harris County's hot lists; a list shared with Oak Park runs on Oak Park's cameras only where Oak Park agreed.",
        ),
        (
            "sacramento-pd",
            "officer",
            "Officer Kim Tran",
            "Search Sacramento data.",
        ),
        (
            "sacramento-pd",
            "supervisor",
            "Sgt. Chris Wong (supervisor)",
            "Keep Sacramento's hot lists.",
        ),
        (
            "pp-muenchen",
            "supervisor",
            "PHK Jonas Maier (Dienstgruppenleiter)",
            "Pflegen Sie die Fahndungslisten (Munich's cameras run hit-only, bound to one purpose).",
        ),
        (
            "pp-muenchen",
            "officer",
            "PHK Anna Huber",
            "Search Munich data (no agreements: nobody else sees it).",
        ),
        (
            "ice-ero-chicago",
            "officer",
            "Agent J. Doe (federal)",
            "A federal requester: Illinois, California and Munich data are refused; Harris County shares nationally for a few purposes.",
        ),
        (
            "lakeside-hoa",
            "admin",
            "HOA manager",
            "Manage the HOA's cameras and its agreement with Oak Park PD.",
        ),
    ]
}

/// Seeds a fresh data directory and returns the credentials.
fn seed(node: &Node) -> Result<Credentials> {
    let sys = sightline_server::Caller::System;
    let mut rng = StdRng::from_entropy();
    let mut cameras = Vec::new();
    for a in AGENCIES {
        node.create_agency(
            &sys,
            &CreateAgency {
                id: a.id.into(),
                name: a.name.into(),
                kind: a.kind.into(),
                jurisdiction: a.jurisdiction.into(),
            },
        )
        .map_err(|e| anyhow::anyhow!("seeding agency {}: {e}", a.id))?;
        // Radius agreements are measured from where the operator says an agency is: here, its
        // first camera.
        if let Some((_, lat, lon, _)) = a.cameras.first() {
            node.set_agency_location(
                &sys,
                &AgencyId::parse(a.id)?,
                &sightline_server::admin::AgencyLocation {
                    lat: *lat,
                    lon: *lon,
                },
            )
            .map_err(|e| anyhow::anyhow!("seeding location of {}: {e}", a.id))?;
        }
        for (name, lat, lon, bearing) in a.cameras {
            let req = CreateCamera {
                agency: Some(a.id.into()),
                name: (*name).into(),
                lat: *lat,
                lon: *lon,
                bearing: Some(*bearing),
                mobile: false,
                // German cameras run hit-only (BVerfG 2018): non-hits never leave the camera.
                hit_only: a.jurisdiction.starts_with("DE"),
                // …and their checks are bound to one purpose's lists (BVerfG 2018).
                check_purposes: if a.jurisdiction.starts_with("DE") {
                    vec![sightline_hotlist::Category::MissingPerson]
                } else {
                    Vec::new()
                },
            };
            let c = node
                .create_camera(&sys, &req)
                .map_err(|e| anyhow::anyhow!("seeding camera: {e}"))?;
            cameras.push(DemoCamera {
                id: c.camera.id.0,
                name: c.camera.name,
                owner: a.id.into(),
                device_key: c.device_key,
            });
        }
    }
    let op_password = password(&mut rng);
    let operator = AgencyId::parse("oak-park-pd")?;
    node.create_operator(&operator, "operator", &op_password)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut users = vec![DemoUser {
        username: "operator".into(),
        password: op_password,
        role: "admin (node operator)".into(),
        agency: "oak-park-pd".into(),
        try_this: "Create agencies; read the whole audit log.".into(),
        token: String::new(),
        totp_secret: String::new(),
        sign_in: String::new(),
    }];
    for (agency, role, display, try_this) in user_plan() {
        let username = format!("{role}@{agency}");
        let pw = password(&mut rng);
        node.create_user(
            &sys,
            &CreateUser {
                agency: Some(agency.into()),
                username: username.clone(),
                display_name: display.into(),
                role: role.into(),
                password: pw.clone(),
                // The demo hands out its accounts in a credentials file to try things at once.
                must_change_password: false,
            },
        )
        .map_err(|e| anyhow::anyhow!("seeding user {username}: {e}"))?;
        users.push(DemoUser {
            username,
            password: pw,
            role: role.into(),
            agency: agency.into(),
            try_this: try_this.into(),
            token: String::new(),
            totp_secret: String::new(),
            sign_in: String::new(),
        });
    }
    for u in &mut users {
        let rec = node
            .store
            .user_by_username(&u.username)?
            .context("seeded user vanished")?;
        u.token = node
            .issue_token(&rec, "demo")
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .token;
        // Public agencies require a second factor: every demo account is enrolled, its secret
        // in the credentials file.
        u.totp_secret = node
            .provision_mfa(&sys, rec.id.0)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        u.sign_in = format!(
            "password, then the 6-digit code of `sightline totp {}` (or an authenticator app with that secret)",
            u.totp_secret
        );
    }
    let agreements = [
        (
            "lakeside-hoa",
            Grantee::Agency(AgencyId::parse("oak-park-pd")?),
            vec![
                "homicide",
                "kidnapping",
                "robbery",
                "assault",
                "burglary",
                "larceny",
                "motor_vehicle_theft",
                "stolen_vehicle",
                "missing_person",
                "amber_alert",
                "warrant",
            ],
        ),
        (
            "harris-county-so",
            Grantee::National,
            vec![
                "stolen_vehicle",
                "amber_alert",
                "homicide",
                "kidnapping",
                "missing_person",
                "warrant",
            ],
        ),
        (
            "oak-park-pd",
            Grantee::National,
            vec![
                "stolen_vehicle",
                "amber_alert",
                "missing_person",
                "homicide",
            ],
        ),
        (
            "sacramento-pd",
            Grantee::National,
            vec![
                "stolen_vehicle",
                "amber_alert",
                "missing_person",
                "homicide",
                "robbery",
            ],
        ),
    ];
    for (owner, grantee, purposes) in agreements {
        let req = CreateAgreement {
            owner: Some(owner.into()),
            grantee,
            purposes: purposes.into_iter().map(String::from).collect(),
            expires_at: None,
            scope: sightline_store::AgreementScope::Search,
        };
        node.create_agreement(&sys, &req)
            .map_err(|e| anyhow::anyhow!("seeding agreement: {e}"))?;
    }
    let decl = CreateDeclaration {
        agency: Some("harris-county-so".into()),
        jurisdiction: "US-IL".into(),
        statement: "Harris County Sheriff's Office will not use Illinois ALPR information to investigate or enforce immigration status or reproductive health care (625 ILCS 5/2-130(c)).".into(),
        signed_by: "Sheriff's Office General Counsel".into(),
    };
    node.create_declaration(&sys, &decl)
        .map_err(|e| anyhow::anyhow!("seeding declaration: {e}"))?;
    seed_hotlists(node)?;
    let vehicles_of_interest = VEHICLES_OF_INTEREST
        .iter()
        .map(|(p, r, n)| {
            BTreeMap::from([
                ("plate".to_owned(), (*p).to_owned()),
                ("region".to_owned(), (*r).to_owned()),
                ("note".to_owned(), (*n).to_owned()),
            ])
        })
        .collect();
    Ok(Credentials {
        users,
        cameras,
        vehicles_of_interest,
        planted: None,
    })
}

/// One hot list per agency with its vehicle of interest, and one list the law refuses.
fn seed_hotlists(node: &Node) -> Result<()> {
    use sightline_hotlist::{Category, HotEntry, ImportMode};
    let lists = [
        (
            "oak-park-pd",
            "admin@oak-park-pd",
            "Stolen vehicles (Oak Park)",
            Category::StolenVehicle,
            "CV 48213",
            "reported stolen, report 26-004412",
        ),
        (
            "harris-county-so",
            "supervisor@harris-county-so",
            "Robbery suspects",
            Category::WantedPerson,
            "KRT-4821",
            "armed robbery suspect, warrant W-26-1187",
        ),
        (
            "sacramento-pd",
            "supervisor@sacramento-pd",
            "AMBER alert",
            Category::AmberAlert,
            "8FJX253",
            "AMBER alert 26-0031",
        ),
        (
            "pp-muenchen",
            "supervisor@pp-muenchen",
            "Vermisste Personen",
            Category::MissingPerson,
            "M-SL 4711",
            "Vermisstenfall 2026/118",
        ),
    ];
    for (agency, username, name, category, plate, reason) in lists {
        let user = node
            .store
            .user_by_username(username)?
            .context("seeded user vanished")?;
        let who = sightline_server::Caller::User(sightline_search::Principal {
            agency: node.store.agency(&AgencyId::parse(agency)?)?,
            user,
        });
        let list = node
            .create_hotlist(&who, name, category, "custom", &[])
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .item;
        let entry = HotEntry {
            id: 0,
            list_id: list.id,
            plate: plate.into(),
            region: None,
            reason: reason.into(),
            legal_basis: Some(reason.into()),
            added_by: String::new(),
            added_at: chrono::Utc::now(),
            expires_at: None,
        };
        node.put_hotlist_entries(&who, list.id, vec![entry], ImportMode::Merge)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    // The law refuses this one (625 ILCS 5/2-130(b)(2)); the refusal is in the audit log.
    let user = node
        .store
        .user_by_username("admin@oak-park-pd")?
        .context("seeded user vanished")?;
    let who = sightline_server::Caller::User(sightline_search::Principal {
        agency: node.store.agency(&AgencyId::parse("oak-park-pd")?)?,
        user,
    });
    let refused = node.create_hotlist(
        &who,
        "Immigration violators (vendor feed)",
        Category::ImmigrationStatus,
        "vendor",
        &[],
    );
    anyhow::ensure!(
        refused.is_err(),
        "the Illinois pack should refuse an immigration list"
    );
    Ok(())
}

fn write_credentials(path: &Path, c: &Credentials) -> Result<()> {
    let text = serde_json::to_string_pretty(c)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The simulated traffic of one region.
struct Region {
    cameras: Vec<Camera>,
    fleet: Vec<Vehicle>,
    routes: Vec<Vec<usize>>,
    position: Vec<usize>,
}

/// Builds the fleets: deterministic, so a restarted demo sees the same vehicles.
fn regions(node: &Node) -> Result<BTreeMap<String, Region>> {
    let agencies = node.store.agencies()?;
    let mut by_region: BTreeMap<String, Vec<Camera>> = BTreeMap::new();
    for c in node.store.cameras() {
        if let Some(a) = agencies.iter().find(|a| a.id == c.owner) {
            by_region
                .entry(a.jurisdiction.to_string())
                .or_default()
                .push(c);
        }
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let mut out = BTreeMap::new();
    for (region, cameras) in by_region {
        let mut fleet: Vec<Vehicle> = (0..400)
            .map(|_| fleet::vehicle(&region, &mut rng))
            .collect();
        for (k, (plate, r, _)) in VEHICLES_OF_INTEREST
            .iter()
            .filter(|v| v.1 == region)
            .enumerate()
        {
            let mut v = fleet::vehicle(r, &mut rng);
            v.plate = (*plate).to_owned();
            // Regulars, not the most frequent vehicles: an alert every few dozen seconds at the default rate.
            fleet.insert(5 + 3 * k, v);
        }
        let routes = (0..fleet.len())
            .map(|_| {
                let mut r: Vec<usize> = (0..cameras.len()).collect();
                r.shuffle(&mut rng);
                r
            })
            .collect();
        let n = fleet.len();
        out.insert(
            region,
            Region {
                cameras,
                fleet,
                routes,
                position: vec![0; n],
            },
        );
    }
    Ok(out)
}

impl Region {
    /// One sighting: a vehicle (frequent ones more often) at the next camera of its route.
    fn sighting(&mut self, rng: &mut impl Rng) -> (usize, usize) {
        let n = self.fleet.len();
        let v = ((rng.r#gen::<f64>().powi(3)) * n as f64) as usize % n;
        let step = self.position[v];
        self.position[v] = step + 1;
        let route = &self.routes[v];
        (v, route[step % route.len()])
    }
}

fn new_read(v: &Vehicle, at: DateTime<Utc>, rng: &mut impl Rng) -> NewRead {
    NewRead {
        id: format!("sim-{}-{}", at.timestamp_micros(), rng.r#gen::<u32>()),
        camera_id: None,
        captured_at: at,
        plate: v.plate.clone(),
        region: Some(v.region.clone()),
        confidence: Some(rng.gen_range(0.82..0.995)),
        colour: Some(v.colour.into()),
        vehicle_type: Some(v.vehicle_type.into()),
        make: Some(v.make.into()),
        lat: None,
        lon: None,
        crop: None,
    }
}

/// Generates `count` sightings spread over `[from, to)`, grouped by camera.
fn traffic(
    regions: &mut BTreeMap<String, Region>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    count: usize,
    rng: &mut impl Rng,
) -> BTreeMap<i64, (Camera, Vec<NewRead>)> {
    let keys: Vec<String> = regions.keys().cloned().collect();
    let weights: Vec<usize> = keys.iter().map(|k| regions[k].cameras.len()).collect();
    let total: usize = weights.iter().sum();
    let span = (to - from).num_microseconds().unwrap_or(1).max(1);
    let mut out: BTreeMap<i64, (Camera, Vec<NewRead>)> = BTreeMap::new();
    for _ in 0..count {
        let mut pick = rng.gen_range(0..total);
        let mut ri = 0;
        while pick >= weights[ri] {
            pick -= weights[ri];
            ri += 1;
        }
        let home = &keys[ri];
        let (vehicle, mut cam_region) = {
            let r = regions
                .get_mut(home)
                .map(|r| (r.sighting(rng), home.clone()));
            let Some(((v, c), _)) = r else { continue };
            (regions[home].fleet[v].clone(), (home.clone(), c))
        };
        // Interstate travel: now and then a US vehicle passes another US region's camera.
        if home.starts_with("US") && rng.gen_bool(0.03) {
            let others: Vec<&String> = keys
                .iter()
                .filter(|k| k.starts_with("US") && *k != home)
                .collect();
            if let Some(o) = others.choose(rng) {
                let n = regions[*o].cameras.len();
                cam_region = ((*o).clone(), rng.gen_range(0..n));
            }
        }
        let cam = regions[&cam_region.0].cameras[cam_region.1].clone();
        let at = from + Duration::microseconds(rng.gen_range(0..span));
        let read = new_read(&vehicle, at, rng);
        out.entry(cam.id.0)
            .or_insert_with(|| (cam, Vec::new()))
            .1
            .push(read);
    }
    out
}

async fn feed(
    node: &Arc<Node>,
    batches: BTreeMap<i64, (Camera, Vec<NewRead>)>,
    matching: bool,
) -> usize {
    let mut stored = 0;
    for (_, (cam, mut reads)) in batches {
        if node.hotlists.is_hit_only(cam.id.0) {
            // The camera side of hit-only mode: match against today's keyed hashes, send hits only.
            let Ok(matcher) = sightline_hotlist::edge::EdgeMatcher::new(&node.edge_list(&cam))
            else {
                continue;
            };
            reads.retain(|r| {
                sightline_types::PlateText::normalise(&r.plate)
                    .is_ok_and(|p| matcher.check(p.as_str()).is_some())
            });
            if reads.is_empty() {
                continue;
            }
        }
        for chunk in reads.chunks(node.ingest.limits().max_batch) {
            let result = if matching {
                node.ingest_and_match(&cam, chunk.to_vec()).await
            } else {
                node.ingest_reads(&cam, chunk.to_vec()).await
            };
            match result {
                Ok(r) => stored += r.accepted,
                Err(e) => tracing::warn!(error = %e, "simulator batch failed"),
            }
        }
    }
    stored
}

/// Runs the demo until Ctrl-C.
///
/// # Errors
/// Start-up failures (data directory, port in use).
pub async fn run(opts: DemoOptions) -> Result<()> {
    let mut config = NodeConfig::for_data_dir(opts.data.clone());
    config.listen = opts.listen.clone();
    // The demo favours start-up speed over power-loss safety; a killed process still loses nothing.
    config.durability = sightline_store::Durability::Process;
    let node = Arc::new(Node::open(config).context("opening the demo node")?);
    let cred_path = opts.data.join("demo-credentials.json");
    let fresh = node.store.agencies()?.is_empty();
    let mut planted_reads = BTreeMap::new();
    let creds = if fresh {
        let n = node.clone();
        let mut creds = tokio::task::spawn_blocking(move || seed(&n)).await??;
        let (planted, reads) = plant(&node, Utc::now(), &mut StdRng::seed_from_u64(18));
        planted_reads = reads;
        for (plate, note) in [
            (
                &planted.convoy_target,
                "suspect vehicle in homicide case 26-004711: find who travels with it (convoy search, warrant needed)",
            ),
            (
                &planted.multi_site,
                "seen at three Oak Park robbery scenes (multi-location search, warrant needed)",
            ),
        ] {
            creds.vehicles_of_interest.push(BTreeMap::from([
                ("plate".to_owned(), plate.clone()),
                ("region".to_owned(), "US-IL".to_owned()),
                ("note".to_owned(), note.to_owned()),
            ]));
        }
        creds.planted = Some(planted);
        write_credentials(&cred_path, &creds)?;
        Some(creds)
    } else {
        std::fs::read(&cred_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    };
    let mut regions = regions(&node)?;
    let mut rng = StdRng::from_entropy();
    if fresh {
        let now = Utc::now();
        let batches = traffic(
            &mut regions,
            now - Duration::hours(48),
            now - Duration::seconds(5),
            60_000,
            &mut rng,
        );
        // History predates the hot lists: it is stored without matching, so alerts are live ones.
        let n = feed(&node, batches, false).await;
        let p = feed(&node, std::mem::take(&mut planted_reads), false).await;
        tracing::info!(
            reads = n,
            planted = p,
            "backfilled two days of simulated traffic"
        );
        // Opening searches through the one search path, so the transparency pages, the audit
        // log and the oversight report have something to show from the start.
        let n = node.clone();
        let s =
            tokio::task::spawn_blocking(move || crate::demo_searches::seed_searches(&n)).await??;
        tracing::info!(
            searches = s.searches,
            refused_by_owner = s.refused_by_owner,
            refused = s.refused,
            "ran the demo's opening searches"
        );
    }
    let listener = tokio::net::TcpListener::bind(&opts.listen)
        .await
        .with_context(|| format!("binding {}", opts.listen))?;
    let addr = listener.local_addr()?;
    print_banner(&format!("http://{addr}"), creds.as_ref(), &cred_path);
    let sim_node = node.clone();
    let rate = opts.rate;
    let sim = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        let mut carry = 0.0;
        loop {
            tick.tick().await;
            carry += rate / 2.0;
            let count = carry.floor() as usize;
            carry -= count as f64;
            if count == 0 {
                continue;
            }
            let now = Utc::now();
            let batches = traffic(
                &mut regions,
                now - Duration::milliseconds(500),
                now,
                count,
                &mut rng,
            );
            feed(&sim_node, batches, true).await;
        }
    });
    let retention = sightline_server::spawn_retention(node.clone());
    let checkpoints = sightline_server::spawn_checkpoints(node.clone());
    let watch = sightline_server::spawn_watch(node.clone());
    sightline_server::serve(listener, node, crate::shutdown_signal()).await?;
    sim.abort();
    for task in [retention, checkpoints].into_iter().flatten() {
        task.abort();
    }
    watch.abort();
    Ok(())
}

fn print_banner(url: &str, creds: Option<&Credentials>, path: &Path) {
    println!("\nSightline demo node: {url}");
    println!("  API reference: {url}/api/v1/openapi.json");
    match creds {
        Some(c) => {
            println!("  Demo users (also in {}):", path.display());
            for u in &c.users {
                println!("    {:<28} {:<18} {}", u.username, u.password, u.try_this);
            }
            println!(
                "  Sign-in asks for a second factor: `sightline totp <totp_secret>` prints the code (secrets in the file)."
            );
            if let Some(port) = url.rsplit(':').next() {
                println!(
                    "  Passkeys: open http://localhost:{port}/ui/account to add one (passkeys are bound to the name localhost), then sign in with it instead of a code."
                );
            }
            println!("  Vehicles of interest:");
            for v in &c.vehicles_of_interest {
                println!(
                    "    {:<12} {}",
                    v.get("plate").map_or("", String::as_str),
                    v.get("note").map_or("", String::as_str)
                );
            }
        }
        None => println!("  Credentials: see {} (not readable now)", path.display()),
    }
    println!("  Stop with Ctrl-C; data stays in the data directory.\n");
}
