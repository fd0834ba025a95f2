//! English and German text for the UI.

use axum::http::{HeaderMap, header};

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// German.
    De,
}

impl Lang {
    /// `en` or `de`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// From `?lang=` in the query, the `sl_lang` cookie, or Accept-Language.
    pub fn from_request(uri: &axum::http::Uri, h: &HeaderMap) -> Lang {
        match uri
            .query()
            .unwrap_or_default()
            .split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
        {
            Some("de") => Lang::De,
            Some("en") => Lang::En,
            _ => Lang::from_headers(h),
        }
    }

    /// From the `sl_lang` cookie or Accept-Language.
    pub fn from_headers(h: &HeaderMap) -> Lang {
        let cookie = super::cookie(h, "sl_lang");
        let accept = h
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match cookie.as_deref() {
            Some("de") => Lang::De,
            Some("en") => Lang::En,
            _ if accept.trim_start().starts_with("de") => Lang::De,
            _ => Lang::En,
        }
    }
}

/// Looks up a text.
pub fn t(lang: Lang, key: &str) -> &'static str {
    let (en, de) = match key {
        "nav" => ("Main", "Hauptmenü"),
        "search" => ("Search", "Suche"),
        "alerts" => ("Alerts", "Alarme"),
        "transparency" => ("Transparency", "Transparenz"),
        "logout" => ("Sign out", "Abmelden"),
        "signin" => ("Sign in", "Anmelden"),
        "signin_help" => (
            "Demo users and passwords are in demo-credentials.json in the demo's data directory, and printed when the demo starts.",
            "Demo-Benutzer und Passwörter stehen in demo-credentials.json im Datenverzeichnis der Demo und werden beim Start ausgegeben.",
        ),
        "username" => ("Username", "Benutzername"),
        "password" => ("Password", "Passwort"),
        "bad_login" => (
            "Unknown username or wrong password.",
            "Unbekannter Benutzer oder falsches Passwort.",
        ),
        "purpose" => ("Purpose", "Zweck"),
        "case" => ("Case number", "Aktenzeichen"),
        "reason" => ("Reason", "Begründung"),
        "behalf" => ("On behalf of", "Im Auftrag von"),
        "nobody" => ("(my own agency)", "(eigene Behörde)"),
        "kind" => ("Query", "Abfrage"),
        "plate" => ("Plate", "Kennzeichen"),
        "colour" => ("Colour", "Farbe"),
        "vtype" => ("Vehicle type", "Fahrzeugart"),
        "hours" => ("Hours back", "Stunden zurück"),
        "run" => ("Search", "Suchen"),
        "results" => ("Sightings", "Sichtungen"),
        "owners" => ("Data owners", "Datenhalter"),
        "contributed" => ("contributed", "geliefert"),
        "excluded" => ("excluded", "ausgeschlossen"),
        "map" => (
            "Map: cameras and the vehicle's path in time order",
            "Karte: Kameras und Fahrweg in zeitlicher Folge",
        ),
        "time" => ("Time", "Zeit"),
        "camera" => ("Camera", "Kamera"),
        "owner" => ("Owner", "Halter"),
        "audited" => ("Audit entry", "Protokolleintrag"),
        "live" => (
            "Live hits for your agency appear here as they happen.",
            "Treffer für Ihre Behörde erscheinen hier sofort.",
        ),
        "ack" => ("Acknowledge", "Bestätigen"),
        "list" => ("List", "Liste"),
        "outcome" => ("Outcome", "Ergebnis"),
        "none_yet" => ("No hits yet.", "Noch keine Treffer."),
        "slider" => ("Show sightings up to", "Sichtungen anzeigen bis"),
        "audit" => ("Audit", "Protokoll"),
        "cameras_h" => ("Cameras", "Kameras"),
        "place_hint" => (
            "Click the map to place a new camera.",
            "Klicken Sie auf die Karte, um eine neue Kamera zu platzieren.",
        ),
        "name" => ("Name", "Name"),
        "latitude" => ("Latitude", "Breite"),
        "longitude" => ("Longitude", "Länge"),
        "hit_only" => (
            "Hit-only (non-hits never leave the camera)",
            "Nur Treffer (Nichttreffer verlassen die Kamera nie)",
        ),
        "add_camera" => ("Add camera", "Kamera hinzufügen"),
        "users_roles" => ("Users and roles", "Benutzer und Rollen"),
        "add_user" => ("Add user", "Benutzer hinzufügen"),
        "agreements_h" => ("Sharing agreements", "Vereinbarungen zur Datenweitergabe"),
        "grant" => ("Grant access", "Zugriff gewähren"),
        "hotlists_h" => ("Hot lists", "Fahndungslisten"),
        "create_list" => ("Create list", "Liste anlegen"),
        "import_entries" => ("Import entries", "Einträge importieren"),
        "retention_h" => (
            "Retention and legal holds",
            "Speicherfristen und Sicherungsanordnungen",
        ),
        "place_hold" => ("Place legal hold", "Sicherung anordnen"),
        "declarations_h" => (
            "Written declarations (e.g. 625 ILCS 5/2-130(c))",
            "Schriftliche Erklärungen (z. B. 625 ILCS 5/2-130(c))",
        ),
        "record_decl" => ("Record declaration", "Erklärung erfassen"),
        "policy_h" => (
            "Agency policy (forbid rules; narrows what the law allows)",
            "Behördenrichtlinie (nur Verbote; schränkt das gesetzlich Erlaubte ein)",
        ),
        "save_policy" => ("Save policy", "Richtlinie speichern"),
        "audit_log" => ("Audit log", "Protokoll"),
        "filter" => ("Filter", "Filtern"),
        "oversight_link" => ("Oversight findings", "Aufsichtsbefunde"),
        "export_jsonl" => ("Export JSON Lines", "Export als JSON Lines"),
        "export_csv" => ("Export CSV", "Export als CSV"),
        "area" => (
            "Area: click the map to set the centre",
            "Gebiet: Mittelpunkt auf der Karte anklicken",
        ),
        "area_lat" => ("Area centre latitude", "Gebietsmitte Breite"),
        "area_lon" => ("Area centre longitude", "Gebietsmitte Länge"),
        "area_km" => ("Area radius (km)", "Gebietsradius (km)"),
        "vehicle" => ("Vehicle", "Fahrzeug"),
        _ => ("?", "?"),
    };
    match lang {
        Lang::En => en,
        Lang::De => de,
    }
}
