//! The report as a readable, self-contained HTML page (no scripts, no external resources).

use crate::analyze::{Finding, Report};
use std::fmt::Write;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(f: f64) -> String {
    format!("{:.1}%", f * 100.0)
}

fn rows(f: &Finding) -> String {
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
        "<details><summary>{} rows</summary><p class=rows>{}{more}</p></details>",
        f.count,
        list.join(", ")
    )
}

fn line(out: &mut String, label: &str, f: &Finding) {
    let _ = write!(
        out,
        "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(label),
        f.count,
        pct(f.share),
        rows(f)
    );
}

/// Renders the report.
pub fn render(r: &Report, title: &str) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font:15px/1.45 system-ui,sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#1b1b1b}}\
         table{{border-collapse:collapse;margin:.5rem 0 1.2rem}}th,td{{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}}\
         .rows{{font-family:monospace;font-size:12px;max-width:40rem}}h2{{margin-top:1.6rem}}.warn{{color:#8a1c00}}pre{{white-space:pre-wrap;background:#f4f4f4;padding:.6rem;font-size:12px}}</style></head><body>\
         <h1>{t}</h1>",
        t = esc(title)
    );
    let t = &r.totals;
    let _ = write!(
        o,
        "<h2>Totals</h2><table><tr><th>Searches</th><td>{}</td></tr><tr><th>Period</th><td>{} – {} ({:.1} days)</td></tr>\
         <tr><th>Agencies</th><td>{}</td></tr><tr><th>Officers</th><td>{}</td></tr><tr><th>By type</th><td>{}</td></tr></table>",
        t.searches,
        t.first.map(|d| d.to_rfc3339()).unwrap_or_default(),
        t.last.map(|d| d.to_rfc3339()).unwrap_or_default(),
        t.span_days,
        t.agencies,
        t.officers,
        esc(&t
            .by_type
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", "))
    );
    o.push_str(
        "<h2>Reach</h2><table><tr><th></th><th>searches</th><th>share</th><th>rows</th></tr>",
    );
    line(&mut o, "one network", &r.reach.single_network);
    line(&mut o, "more than one network", &r.reach.multi_network);
    let _ = write!(
        o,
        "</table><p>Networks per search: mean {:.1}, max {}. Devices per search: mean {:.1}, max {}. Reach unknown for {} searches.</p>",
        r.reach.mean_networks,
        r.reach.max_networks,
        r.reach.mean_devices,
        r.reach.max_devices,
        r.reach.unknown
    );
    let _ = write!(
        o,
        "<h2>Look-back beyond {:.0} days of retention</h2><table><tr><th></th><th>searches</th><th>share</th><th>rows</th></tr>",
        r.lookback.retention_days
    );
    line(
        &mut o,
        "window starts before retention",
        &r.lookback.beyond_retention,
    );
    let _ = write!(
        o,
        "</table><p>Longest look-back: <strong>{:.1} days</strong>. Reasons given: {}</p>",
        r.lookback.max_days,
        esc(&r
            .lookback
            .reasons
            .iter()
            .map(|(k, v)| format!("“{k}” ×{v}"))
            .collect::<Vec<_>>()
            .join(", "))
    );
    o.push_str(
        "<h2>Reasons</h2><table><tr><th></th><th>searches</th><th>share</th><th>rows</th></tr>",
    );
    line(&mut o, "blank", &r.reasons.blank);
    line(&mut o, "vague", &r.reasons.vague);
    line(&mut o, "case number only", &r.reasons.case_number_only);
    for p in &r.reasons.prohibited {
        line(
            &mut o,
            &format!("prohibited purpose: {} ({})", p.description, p.rule),
            &p.finding,
        );
    }
    line(&mut o, "names a federal agency", &r.federal);
    o.push_str("</table>");
    if !r.agency_outliers.is_empty() || !r.officer_outliers.is_empty() {
        o.push_str("<h2>Volume outliers</h2><ul>");
        for x in r.agency_outliers.iter().chain(&r.officer_outliers) {
            let _ = write!(
                o,
                "<li class=warn>{}: {} searches (median {:.0})</li>",
                esc(&x.name),
                x.searches,
                x.median
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("<h2>Files</h2><table><tr><th>file</th><th>format</th><th>rows</th><th>not understood</th><th>problems</th></tr>");
    for f in &r.files {
        let probs: Vec<String> = f
            .problems
            .iter()
            .take(20)
            .map(|(l, p)| format!("line {l}: {}", esc(p)))
            .collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.file),
            esc(&f.format),
            f.rows,
            esc(&f.unknown_columns.join(", ")),
            probs.join("<br>")
        );
    }
    o.push_str("</table><h2>Rules used</h2>");
    let _ = write!(
        o,
        "<p>Vague reasons: {}.</p><p>Federal terms: {}.</p><p>Case numbers: {}.</p><p>Outliers: {}.</p><details><summary>Screening rules (verbatim)</summary><pre>{}</pre></details>",
        esc(&r.rules.vague_reasons.join(", ")),
        esc(&r.rules.federal_terms.join(", ")),
        esc(&r.rules.case_number),
        esc(&r.rules.outliers),
        esc(&r.rules.screening_rules)
    );
    o.push_str("</body></html>");
    o
}
