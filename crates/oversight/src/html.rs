//! The report as a readable, self-contained HTML page (no scripts, no external resources), in
//! English or German.
//!
//! Every fixed text of the page comes from one table ([`text`]) with both languages, so the
//! German page (the web UI's oversight page in German) has no English left: what stays as it
//! is, is data (file names, row references, reasons people typed, the screening terms and the
//! rules' verbatim source), marked `translate="no"`. A prohibited purpose is named by the
//! caller's label for its purpose code ([`render_in`]'s `purpose`), so the server's purpose
//! taxonomy stays the one source of those names.

use crate::analyze::{Finding, Report};
use std::fmt::Write;

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// German.
    De,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A fixed text of the report in `lang`. `{0}`, `{1}`, … in a text are filled by [`fill`].
///
/// # Panics
/// On a key that is not in the table (a bug: every key used below is tested).
pub fn text(lang: Lang, key: &str) -> &'static str {
    let (en, de) = match key {
        "totals" => ("Totals", "Summen"),
        "searches" => ("Searches", "Suchen"),
        "period" => ("Period", "Zeitraum"),
        "period_days" => ("{0} days", "{0} Tage"),
        "agencies" => ("Agencies", "Behörden"),
        "officers" => ("Officers", "Beamte"),
        "by_type" => ("By type", "Nach Art"),
        "reach" => ("Reach", "Reichweite"),
        "col_searches" => ("searches", "Suchen"),
        "col_share" => ("share", "Anteil"),
        "col_rows" => ("rows", "Zeilen"),
        "n_rows" => ("{0} rows", "{0} Zeilen"),
        "one_network" => ("one network", "ein Netz"),
        "multi_network" => ("more than one network", "mehr als ein Netz"),
        "reach_line" => (
            "Networks per search: mean {0}, max {1}. Devices per search: mean {2}, max {3}. Reach unknown for {4} searches.",
            "Netze je Suche: Mittel {0}, höchstens {1}. Geräte je Suche: Mittel {2}, höchstens {3}. Reichweite unbekannt bei {4} Suchen.",
        ),
        "lookback" => (
            "Look-back beyond {0} days of retention",
            "Rückblick über {0} Tage Speicherfrist hinaus",
        ),
        "beyond_retention" => (
            "window starts before retention",
            "Zeitraum beginnt vor der Speicherfrist",
        ),
        "longest" => ("Longest look-back:", "Längster Rückblick:"),
        "reasons_given" => ("Reasons given:", "Angegebene Gründe:"),
        "reasons" => ("Reasons", "Gründe"),
        "blank" => ("blank", "leer"),
        "vague" => ("vague", "vage"),
        "case_only" => ("case number only", "nur Aktenzeichen"),
        "prohibited" => ("prohibited purpose:", "verbotener Zweck:"),
        "federal" => ("names a federal agency", "nennt eine Bundesbehörde"),
        "outliers" => ("Volume outliers", "Auffällig viele Suchen"),
        "outlier_line" => ("{0} searches (median {1})", "{0} Suchen (Median {1})"),
        "files" => ("Files", "Dateien"),
        "col_file" => ("file", "Datei"),
        "col_format" => ("format", "Format"),
        "col_unknown" => ("not understood", "nicht verstanden"),
        "col_problems" => ("problems", "Probleme"),
        "line_n" => ("line {0}:", "Zeile {0}:"),
        "rules_used" => ("Rules used", "Angewandte Regeln"),
        "vague_reasons" => ("Vague reasons:", "Vage Gründe:"),
        "federal_terms" => ("Federal terms:", "Begriffe für Bundesbehörden:"),
        "case_numbers" => ("Case numbers:", "Aktenzeichen:"),
        "rule_case_number" => (
            "the whole reason is one token of letters, digits and - / . _, with at least four digits making up at least half of it (a leading `case` or `#` is ignored)",
            "der ganze Grund ist ein Wort aus Buchstaben, Ziffern und - / . _ mit mindestens vier Ziffern, die mindestens die Hälfte ausmachen (ein führendes `case` oder `#` zählt nicht)",
        ),
        "outliers_rule" => ("Outliers:", "Auffälligkeiten:"),
        "rule_outliers" => (
            "at least 10 searches and more than the median plus five median absolute deviations, among at least four agencies or officers",
            "mindestens 10 Suchen und mehr als der Median plus fünf mittlere absolute Abweichungen, unter mindestens vier Behörden oder Beamten",
        ),
        "screening_verbatim" => ("Screening rules (verbatim)", "Prüfregeln (im Wortlaut)"),
        _ => panic!("oversight report: no text for key `{key}`"),
    };
    match lang {
        Lang::En => en,
        Lang::De => de,
    }
}

/// Fills `{0}`, `{1}`, … of a text with `args` (already escaped where needed).
pub fn fill(template: &str, args: &[String]) -> String {
    let mut out = template.to_owned();
    for (i, a) in args.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), a);
    }
    out
}

/// A number with one decimal in the page's language (German: decimal comma).
fn num(lang: Lang, f: f64, decimals: usize) -> String {
    let s = format!("{f:.decimals$}");
    match lang {
        Lang::En => s,
        Lang::De => s.replace('.', ","),
    }
}

fn pct(lang: Lang, f: f64) -> String {
    match lang {
        Lang::En => format!("{}%", num(lang, f * 100.0, 1)),
        Lang::De => format!("{} %", num(lang, f * 100.0, 1)),
    }
}

struct Page<'a> {
    lang: Lang,
    purpose: &'a dyn Fn(&str) -> Option<String>,
    o: String,
}

impl Page<'_> {
    fn t(&self, key: &str) -> &'static str {
        text(self.lang, key)
    }

    fn rows(&self, f: &Finding) -> String {
        let list: Vec<String> = f
            .rows
            .iter()
            .take(50)
            .map(|r| format!("{}:{}", esc(&r.source), r.line))
            .collect();
        let more = if f.rows.len() > 50 || f.rows_truncated {
            " …"
        } else {
            ""
        };
        format!(
            "<details><summary>{}</summary><p class=rows translate=no>{}{more}</p></details>",
            fill(self.t("n_rows"), &[f.count.to_string()]),
            list.join(", ")
        )
    }

    /// A finding's row; `label` is HTML (escaped by the caller).
    fn line(&mut self, label: &str, f: &Finding) {
        let rows = self.rows(f);
        let _ = write!(
            self.o,
            "<tr><th>{label}</th><td>{}</td><td>{}</td><td>{rows}</td></tr>",
            f.count,
            pct(self.lang, f.share),
        );
    }

    fn head(&mut self) {
        let _ = write!(
            self.o,
            "<table><tr><th></th><th>{}</th><th>{}</th><th>{}</th></tr>",
            self.t("col_searches"),
            self.t("col_share"),
            self.t("col_rows")
        );
    }
}

/// Renders the report in English.
pub fn render(r: &Report, title: &str) -> String {
    render_in(r, title, Lang::En, &|_| None)
}

/// Renders the report in `lang`. `purpose` names a purpose code in that language (`None`: the
/// screening rule's own description is shown, marked as English).
pub fn render_in(
    r: &Report,
    title: &str,
    lang: Lang,
    purpose: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut p = Page {
        lang,
        purpose,
        o: String::new(),
    };
    let _ = write!(
        p.o,
        "<!doctype html><html lang={l}><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font:15px/1.45 system-ui,sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#1b1b1b}}\
         table{{border-collapse:collapse;margin:.5rem 0 1.2rem}}th,td{{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}}\
         .rows{{font-family:monospace;font-size:12px;max-width:40rem}}h2{{margin-top:1.6rem}}.warn{{color:#8a1c00}}pre{{white-space:pre-wrap;background:#f4f4f4;padding:.6rem;font-size:12px}}</style></head><body>\
         <h1>{t}</h1>",
        l = lang.code(),
        t = esc(title)
    );
    totals(&mut p, r);
    reach(&mut p, r);
    lookback(&mut p, r);
    reasons(&mut p, r);
    outliers_and_files(&mut p, r);
    rules(&mut p, r);
    p.o.push_str("</body></html>");
    p.o
}

fn totals(p: &mut Page<'_>, r: &Report) {
    let t = &r.totals;
    let _ = write!(
        p.o,
        "<h2>{}</h2><table><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{} – {} ({})</td></tr>\
         <tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td translate=no>{}</td></tr></table>",
        p.t("totals"),
        p.t("searches"),
        t.searches,
        p.t("period"),
        t.first.map(|d| d.to_rfc3339()).unwrap_or_default(),
        t.last.map(|d| d.to_rfc3339()).unwrap_or_default(),
        fill(p.t("period_days"), &[num(p.lang, t.span_days, 1)]),
        p.t("agencies"),
        t.agencies,
        p.t("officers"),
        t.officers,
        p.t("by_type"),
        esc(&t
            .by_type
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", "))
    );
}

fn reach(p: &mut Page<'_>, r: &Report) {
    let _ = write!(p.o, "<h2>{}</h2>", p.t("reach"));
    p.head();
    p.line(p.t("one_network"), &r.reach.single_network);
    p.line(p.t("multi_network"), &r.reach.multi_network);
    let line = fill(
        p.t("reach_line"),
        &[
            num(p.lang, r.reach.mean_networks, 1),
            r.reach.max_networks.to_string(),
            num(p.lang, r.reach.mean_devices, 1),
            r.reach.max_devices.to_string(),
            r.reach.unknown.to_string(),
        ],
    );
    let _ = write!(p.o, "</table><p>{line}</p>");
}

fn lookback(p: &mut Page<'_>, r: &Report) {
    let _ = write!(
        p.o,
        "<h2>{}</h2>",
        fill(
            p.t("lookback"),
            &[num(p.lang, r.lookback.retention_days, 0)]
        )
    );
    p.head();
    p.line(p.t("beyond_retention"), &r.lookback.beyond_retention);
    let _ = write!(
        p.o,
        "</table><p>{} <strong>{}</strong>. {} <span translate=no>{}</span></p>",
        p.t("longest"),
        fill(p.t("period_days"), &[num(p.lang, r.lookback.max_days, 1)]),
        p.t("reasons_given"),
        esc(&r
            .lookback
            .reasons
            .iter()
            .map(|(k, v)| format!("“{k}” ×{v}"))
            .collect::<Vec<_>>()
            .join(", "))
    );
}

fn reasons(p: &mut Page<'_>, r: &Report) {
    let _ = write!(p.o, "<h2>{}</h2>", p.t("reasons"));
    p.head();
    p.line(p.t("blank"), &r.reasons.blank);
    p.line(p.t("vague"), &r.reasons.vague);
    p.line(p.t("case_only"), &r.reasons.case_number_only);
    for f in &r.reasons.prohibited {
        // The purpose's name in the page's language where the caller knows it; else the
        // screening rule's own (English) description, marked as such.
        let name = match (p.lang, (p.purpose)(&f.purpose)) {
            (Lang::De, Some(n)) => esc(&n),
            (Lang::De, None) => format!("<span lang=en>{}</span>", esc(&f.description)),
            (Lang::En, _) => esc(&f.description),
        };
        let label = format!(
            "{} {name} (<span translate=no>{}</span>)",
            p.t("prohibited"),
            esc(&f.rule)
        );
        p.line(&label, &f.finding);
    }
    p.line(p.t("federal"), &r.federal);
    p.o.push_str("</table>");
}

fn outliers_and_files(p: &mut Page<'_>, r: &Report) {
    if !r.agency_outliers.is_empty() || !r.officer_outliers.is_empty() {
        let _ = write!(p.o, "<h2>{}</h2><ul>", p.t("outliers"));
        for x in r.agency_outliers.iter().chain(&r.officer_outliers) {
            let _ = write!(
                p.o,
                "<li class=warn><span translate=no>{}</span>: {}</li>",
                esc(&x.name),
                fill(
                    p.t("outlier_line"),
                    &[x.searches.to_string(), num(p.lang, x.median, 0)]
                )
            );
        }
        p.o.push_str("</ul>");
    }
    let _ = write!(
        p.o,
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        p.t("files"),
        p.t("col_file"),
        p.t("col_format"),
        p.t("col_rows"),
        p.t("col_unknown"),
        p.t("col_problems")
    );
    for f in &r.files {
        // A parser's problem is a message of the reader (English), kept as data.
        let probs: Vec<String> = f
            .problems
            .iter()
            .take(20)
            .map(|(l, m)| {
                format!(
                    "{} <span lang=en translate=no>{}</span>",
                    fill(p.t("line_n"), &[l.to_string()]),
                    esc(m)
                )
            })
            .collect();
        let _ = write!(
            p.o,
            "<tr><td translate=no>{}</td><td translate=no>{}</td><td>{}</td><td translate=no>{}</td><td>{}</td></tr>",
            esc(&f.file),
            esc(&f.format),
            f.rows,
            esc(&f.unknown_columns.join(", ")),
            probs.join("<br>")
        );
    }
    p.o.push_str("</table>");
}

fn rules(p: &mut Page<'_>, r: &Report) {
    let _ = write!(
        p.o,
        "<h2>{}</h2><p>{} <span translate=no>{}</span>.</p><p>{} <span translate=no>{}</span>.</p>\
         <p>{} {}.</p><p>{} {}.</p><details><summary>{}</summary><pre translate=no>{}</pre></details>",
        p.t("rules_used"),
        p.t("vague_reasons"),
        esc(&r.rules.vague_reasons.join(", ")),
        p.t("federal_terms"),
        esc(&r.rules.federal_terms.join(", ")),
        p.t("case_numbers"),
        esc(p.t("rule_case_number")),
        p.t("outliers_rule"),
        esc(p.t("rule_outliers")),
        p.t("screening_verbatim"),
        esc(&r.rules.screening_rules)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_every_text_has_both_languages_and_english_matches_the_analysis() {
        let r = crate::analyze::analyze(&[], Vec::new(), 30.0);
        let en = render(&r, "T");
        let de = render_in(&r, "T", Lang::De, &|_| Some("Zweck".into()));
        assert!(en.contains("<html lang=en>") && en.contains("<h2>Totals</h2>"));
        assert!(de.contains("<html lang=de>") && de.contains("<h2>Summen</h2>"));
        assert!(!de.contains("Totals") && !de.contains("Look-back"));
        // The rules' descriptions printed here are the ones the analysis publishes.
        assert_eq!(text(Lang::En, "rule_case_number"), r.rules.case_number);
        assert_eq!(text(Lang::En, "rule_outliers"), r.rules.outliers);
    }

    #[test]
    fn test_numbers_use_the_languages_decimal_mark() {
        assert_eq!(pct(Lang::En, 0.125), "12.5%");
        assert_eq!(pct(Lang::De, 0.125), "12,5 %");
        assert_eq!(fill("{0} of {1}", &["a".into(), "b".into()]), "a of b");
    }
}
