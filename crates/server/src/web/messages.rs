//! Messages the services and the usage watch produce, shown on pages in the reader's language.
//!
//! A refusal carries its English sentence (the API's message, the audit entry's `error`) and,
//! where the service gave it one, a [`MessageKey`]: a stable key for the kind of refusal and its
//! arguments (codes, values received). A German page shows the key's German text with the
//! arguments marked as data; a refusal without a key is shown by its class (a German lead) with
//! the English detail marked as English. Usage-watch findings carry a summary key and numbers
//! the same way. Nothing here looks at the English text.

use super::i18n::{Lang, t};
use maud::{Markup, html};
use sightline_types::MessageKey;

/// Every message key the services, the search and the watch emit. Each has both texts (a unit
/// test checks), with `{0}`, `{1}`, … where the arguments go.
const KEYS: &[&str] = &[
    "err.permission",
    "err.disabled",
    "err.plate_empty",
    "err.plate_too_long",
    "err.plate_character",
    "err.pattern",
    "err.jurisdiction",
    "err.unknown_value",
    "err.invalid_id",
    "err.required",
    "err.case_too_long",
    "err.reason_too_long",
    "err.unknown_agency",
    "err.window_order",
    "err.window_too_long",
    "err.window_future",
    "err.plate_or_description",
    "err.description_empty",
    "err.cameras_empty",
    "err.cameras_too_many",
    "err.area",
    "err.follow_up_not_yours",
    "err.follow_up_refused",
    "err.search_role",
    "err.saved_not_found",
    "err.saved_invalid",
    "err.saved_too_many",
    "watch.streak",
    "watch.federal",
    "watch.near_match",
    "watch.trawl_window",
    "watch.trawl_wildcard",
    "watch.off_hours",
    "watch.burst",
    "watch.stalking",
];

/// The text of `key` in `lang` with its arguments set in as data (`translate="no"`), or `None`
/// for a key this page does not know (shown by its class then).
pub(super) fn keyed(lang: Lang, key: &str, args: &[String]) -> Option<Markup> {
    if !KEYS.contains(&key) {
        return None;
    }
    let text = t(lang, key);
    let mut parts: Vec<(String, Option<&str>)> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let arg = rest[open + 1..close]
            .parse::<usize>()
            .ok()
            .and_then(|i| args.get(i));
        parts.push((rest[..open].to_owned(), arg.map(String::as_str)));
        rest = &rest[close + 1..];
    }
    Some(html! {
        @for (before, arg) in &parts { (before) @if let Some(a) = arg { span translate="no" { (a) } } }
        (rest)
    })
}

/// A service's refusal or failure on a page: English pages show its sentence; German pages its
/// key's German text, or (no key) a German lead by class and the English detail marked English.
pub(super) fn service_error(lang: Lang, e: &sightline_service::Error) -> Markup {
    if lang != Lang::En
        && let Some(MessageKey { key, args }) = e.key()
        && let Some(m) = keyed(lang, key, &args)
    {
        return m;
    }
    super::search::error_text(lang, e.code(), &e.to_string())
}

/// A usage-watch finding's summary: the stored English sentence on English pages (and for
/// findings stored before summaries had keys), the keyed German text on German pages.
pub(super) fn finding_summary(lang: Lang, f: &sightline_oversight::watch::WatchFinding) -> Markup {
    match lang {
        Lang::En => html! { (f.summary) },
        _ => keyed(lang, &f.summary_key, &f.summary_args)
            .unwrap_or_else(|| html! { span lang="en" translate="no" { (f.summary) } }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> usize {
        (0..10).filter(|i| s.contains(&format!("{{{i}}}"))).count()
    }

    #[test]
    fn test_every_message_key_has_both_texts_with_the_same_arguments() {
        for key in KEYS {
            let (en, de) = (t(Lang::En, key), t(Lang::De, key));
            assert_ne!(en, de, "{key}: German text missing");
            assert_eq!(placeholders(en), placeholders(de), "{key}");
        }
    }

    #[test]
    fn test_arguments_are_data_and_unknown_keys_fall_back() {
        let m = keyed(
            Lang::De,
            "err.permission",
            &["search_plates".into(), "officer".into()],
        )
        .unwrap()
        .into_string();
        assert!(
            m.contains(r#"<span translate="no">search_plates</span>"#),
            "{m}"
        );
        assert!(m.starts_with("Dafür"), "{m}");
        assert!(keyed(Lang::De, "err.no_such_key", &[]).is_none());
        let e = sightline_service::Error::forbidden("x").keyed("err.window_future", []);
        let de = service_error(Lang::De, &e).into_string();
        assert!(de.contains("Zukunft") && !de.contains('x'), "{de}");
        let en = service_error(Lang::En, &e).into_string();
        assert_eq!(en, "x");
        // No key: a German lead, the English detail marked as English.
        let plain = sightline_service::Error::forbidden("needs y");
        let de = service_error(Lang::De, &plain).into_string();
        assert!(
            de.contains(r#"lang="en""#) && de.contains("needs y"),
            "{de}"
        );
    }
}
