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
