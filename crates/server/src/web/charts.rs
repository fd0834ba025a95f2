//! A small server-side SVG chart renderer for the public transparency pages: horizontal bars
//! (one series, grouped series or stacked series) and vertical stacked bars for weekly series.
//! No JavaScript and no library: each chart is a few dozen SVG elements written with maud, which
//! escapes every label.
//!
//! Charts are for looking; the numbers are for reading. Every chart carries a `<title>` and a
//! `<desc>` listing every value (`role="img"`, `aria-labelledby`), every bar its own `<title>`
//! and `data-key`/`data-series`/`data-value` attributes, and each value is written beside its
//! bar — the page also shows the same figures as a table, so nothing depends on the picture.

use maud::{Markup, html};

/// One row of a chart: a category (`key` for machines, `label` for people) and one value per
/// series.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Stable key (a code, an agency id, a week), written to `data-key`.
    pub key: String,
    /// What people read.
    pub label: String,
    /// One value per series.
    pub values: Vec<f64>,
}

/// How the series of a chart are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Horizontal bars, series side by side within a row.
    Grouped,
    /// Horizontal bars, series stacked within a row.
    Stacked,
    /// Vertical columns (one per row, e.g. per week), series stacked.
    Columns,
}

/// A chart to draw.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    /// Element id (unique on the page); the title and description ids derive from it.
    pub id: &'a str,
    /// Title (also the accessible name).
    pub title: &'a str,
    /// Series, `(code, label)`: the code goes to `data-series` and picks the colour, the label
    /// is what people read (legend, titles). One per value of each row.
    pub series: &'a [(String, String)],
    /// Rows.
    pub rows: &'a [Row],
    /// Layout.
    pub layout: Layout,
    /// Shown instead of a chart when there is nothing to draw.
    pub empty: &'a str,
}

/// Colours of series (Okabe–Ito, distinguishable with the common colour-vision deficiencies).
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8A6D00", "#333333",
];

/// Colour of series `i`; the usual outcomes keep one colour on every chart.
pub fn colour(code: &str, i: usize) -> &'static str {
    match code {
        "allowed" | "confirmed" => "#009E73",
        "partial" | "pending" => "#E69F00",
        "denied" => "#D55E00",
        "refused" => "#882255",
        _ => PALETTE[i % PALETTE.len()],
    }
}

/// The top of the value axis: the smallest 1, 2 or 5 × 10ⁿ at or above `max` (1 for nothing).
pub fn nice_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= max * (1.0 - 1e-12) {
            return m * mag;
        }
    }
    10.0 * mag
}

/// A number as people read it: whole numbers without decimals, others with up to two.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A label short enough for the chart's label column (the full text is in the bar's title and
/// the table beside the chart).
pub fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        label.chars().take(max - 1).collect::<String>() + "…"
    }
}

/// Length in pixels of `v` on an axis of `len` pixels topped at `top`.
pub fn scale(v: f64, top: f64, len: f64) -> f64 {
    if top <= 0.0 || !v.is_finite() {
        return 0.0;
    }
    (v.max(0.0) / top * len).min(len)
}

fn total(r: &Row) -> f64 {
    r.values.iter().sum()
}

/// Everything the chart shows, in words: "label: series value, …; …" for the `<desc>`.
fn describe(c: &Chart<'_>) -> String {
    c.rows
        .iter()
        .map(|r| {
            let parts: Vec<String> = c
                .series
                .iter()
                .zip(&r.values)
                .map(|((_, s), v)| {
                    if c.series.len() == 1 {
                        fmt_num(*v)
                    } else {
                        format!("{s} {}", fmt_num(*v))
                    }
                })
                .collect();
            format!("{}: {}", r.label, parts.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn legend(c: &Chart<'_>) -> Markup {
    html! {
        @if c.series.len() > 1 {
            ul.legend aria-hidden="true" {
                @for (i, (code, s)) in c.series.iter().enumerate() {
                    li { span.swatch style=(format!("background:{}", colour(code, i))) {} (s) }
                }
            }
        }
    }
}

/// Draws a chart (or the `empty` sentence when no row has a value).
pub fn render(c: &Chart<'_>) -> Markup {
    if c.rows.iter().all(|r| total(r) <= 0.0) {
        return html! { p.chart-empty id=(c.id) { (c.empty) } };
    }
    let body = match c.layout {
        Layout::Columns => columns(c),
        Layout::Grouped | Layout::Stacked => bars(c),
    };
    html! { figure.chart { (body) (legend(c)) } }
}

const LABEL_W: f64 = 210.0;
const PLOT_W: f64 = 400.0;
const VALUE_W: f64 = 70.0;

fn bars(c: &Chart<'_>) -> Markup {
    let stacked = c.layout == Layout::Stacked || c.series.len() == 1;
    let per_row = if stacked { 1 } else { c.series.len().max(1) };
    let bar_h = 16.0;
    let row_h = bar_h * per_row as f64 + 10.0;
    let top = nice_max(
        c.rows
            .iter()
            .map(|r| {
                if stacked {
                    total(r)
                } else {
                    r.values.iter().copied().fold(0.0, f64::max)
                }
            })
            .fold(0.0, f64::max),
    );
    let height = row_h * c.rows.len() as f64 + 24.0;
    let width = LABEL_W + PLOT_W + VALUE_W;
    let (tid, did) = (format!("{}-title", c.id), format!("{}-desc", c.id));
    html! {
        svg id=(c.id) class="chart" translate="no" role="img" aria-labelledby=(format!("{tid} {did}"))
            viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height)
            xmlns="http://www.w3.org/2000/svg" data-top=(fmt_num(top)) {
            title id=(tid) { (c.title) }
            desc id=(did) { (describe(c)) }
            // Axis: 0, half and the top.
            @for f in [0.0, 0.5, 1.0] {
                @let x = LABEL_W + PLOT_W * f;
                line x1=(x) x2=(x) y1="0" y2=(height - 18.0) stroke="#bbb" stroke-width="1" {}
                text x=(x) y=(height - 5.0) font-size="11" text-anchor="middle" { (fmt_num(top * f)) }
            }
            @for (ri, r) in c.rows.iter().enumerate() {
                @let y0 = ri as f64 * row_h + 4.0;
                text x=(LABEL_W - 6.0) y=(y0 + row_h / 2.0 - 1.0) font-size="12" text-anchor="end" { (short(&r.label, 32)) }
                @let starts = stack_starts(&r.values, top, PLOT_W);
                @for (si, ((code, s), v)) in c.series.iter().zip(&r.values).enumerate() {
                    @let w = scale(*v, top, PLOT_W);
                    @let y = if stacked { y0 } else { y0 + si as f64 * bar_h };
                    @let bx = LABEL_W + if stacked { starts[si] } else { 0.0 };
                    rect x=(bx) y=(y) width=(w) height=(bar_h - 2.0) fill=(colour(code, si))
                        data-key=(r.key) data-series=(code) data-value=(fmt_num(*v)) {
                        title { (r.label) " · " (s) ": " (fmt_num(*v)) }
                    }
                    @if !stacked {
                        text x=(LABEL_W + w + 4.0) y=(y + bar_h - 5.0) font-size="11" { (fmt_num(*v)) }
                    }
                }
                @if stacked {
                    text x=(LABEL_W + scale(total(r), top, PLOT_W) + 4.0) y=(y0 + bar_h - 5.0) font-size="11" class="total" { (fmt_num(total(r))) }
                }
            }
        }
    }
}

/// Where each stacked segment starts: the scaled sum of the values before it.
fn stack_starts(values: &[f64], top: f64, len: f64) -> Vec<f64> {
    let mut sum = 0.0;
    values
        .iter()
        .map(|v| {
            let start = scale(sum, top, len);
            sum += v.max(0.0);
            start
        })
        .collect()
}

fn columns(c: &Chart<'_>) -> Markup {
    let (plot_h, axis_w, gap) = (180.0, 40.0, 4.0);
    let col_w = (600.0 / c.rows.len().max(1) as f64).clamp(10.0, 72.0);
    // Room on the right for the last week's label.
    let width = axis_w + col_w * c.rows.len() as f64 + 60.0;
    let height = plot_h + 50.0;
    let top = nice_max(c.rows.iter().map(total).fold(0.0, f64::max));
    let (tid, did) = (format!("{}-title", c.id), format!("{}-desc", c.id));
    // Week labels: every one when there is room, else every n-th.
    let every = ((c.rows.len() as f64 * 60.0) / 600.0).ceil().max(1.0) as usize;
    html! {
        svg id=(c.id) class="chart" translate="no" role="img" aria-labelledby=(format!("{tid} {did}"))
            viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height)
            xmlns="http://www.w3.org/2000/svg" data-top=(fmt_num(top)) {
            title id=(tid) { (c.title) }
            desc id=(did) { (describe(c)) }
            @for f in [0.0, 0.5, 1.0] {
                @let y = 14.0 + plot_h * (1.0 - f);
                line x1=(axis_w) x2=(width) y1=(y) y2=(y) stroke="#bbb" stroke-width="1" {}
                text x=(axis_w - 4.0) y=(y + 4.0) font-size="11" text-anchor="end" { (fmt_num(top * f)) }
            }
            @for (ri, r) in c.rows.iter().enumerate() {
                @let x = axis_w + ri as f64 * col_w + gap / 2.0;
                @let base = 14.0 + plot_h;
                @let starts = stack_starts(&r.values, top, plot_h);
                @for (si, ((code, s), v)) in c.series.iter().zip(&r.values).enumerate() {
                    @let h = scale(*v, top, plot_h);
                    rect x=(x) y=(base - starts[si] - h) width=(col_w - gap) height=(h) fill=(colour(code, si))
                        data-key=(r.key) data-series=(code) data-value=(fmt_num(*v)) {
                        title { (r.label) " · " (s) ": " (fmt_num(*v)) }
                    }
                }
                @if total(r) > 0.0 {
                    text x=(x + (col_w - gap) / 2.0) y=(base - scale(total(r), top, plot_h) - 3.0) font-size="10" text-anchor="middle" class="total" { (fmt_num(total(r))) }
                }
                @if ri % every == 0 {
                    text x=(x) y=(plot_h + 30.0) font-size="10" { (r.label) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, values: &[f64]) -> Row {
        Row {
            key: key.into(),
            label: key.into(),
            values: values.to_vec(),
        }
    }

    fn named(codes: &[&str]) -> Vec<(String, String)> {
        codes
            .iter()
            .map(|c| ((*c).to_owned(), (*c).to_owned()))
            .collect()
    }

    fn chart<'a>(rows: &'a [Row], series: &'a [(String, String)], layout: Layout) -> String {
        render(&Chart {
            id: "c",
            title: "Searches",
            series,
            rows,
            layout,
            empty: "Nothing yet.",
        })
        .into_string()
    }

    #[test]
    fn test_nice_max_rounds_up_to_one_two_five() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(f64::NAN), 1.0);
        assert_eq!(nice_max(1.0), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(10.0), 10.0);
        assert_eq!(nice_max(11.0), 20.0);
        assert_eq!(nice_max(0.3), 0.5);
        assert_eq!(nice_max(1234.0), 2000.0);
    }

    #[test]
    fn test_scale_is_proportional_and_clamped() {
        assert_eq!(scale(5.0, 10.0, 400.0), 200.0);
        assert_eq!(scale(10.0, 10.0, 400.0), 400.0);
        assert_eq!(scale(0.0, 10.0, 400.0), 0.0);
        assert_eq!(scale(-3.0, 10.0, 400.0), 0.0);
        assert_eq!(scale(30.0, 10.0, 400.0), 400.0);
        assert_eq!(scale(3.0, 0.0, 400.0), 0.0);
    }

    #[test]
    fn test_bars_carry_their_values_and_lengths() {
        let series = named(&["searches"]);
        let rows = [row("homicide", &[8.0]), row("robbery", &[2.0])];
        let svg = chart(&rows, &series, Layout::Grouped);
        // Top of the axis is 10, so 8 is 320 of 400 pixels and 2 is 80.
        assert!(svg.contains("data-top=\"10\""), "{svg}");
        assert!(
            svg.contains("width=\"320\"") && svg.contains("data-key=\"homicide\""),
            "{svg}"
        );
        assert!(svg.contains("width=\"80\"") && svg.contains("data-value=\"2\""));
        assert!(
            svg.contains("<desc id=\"c-desc\">homicide: 8; robbery: 2</desc>"),
            "{svg}"
        );
        assert!(svg.contains("role=\"img\"") && svg.contains("aria-labelledby=\"c-title c-desc\""));
        assert!(svg.contains("<title>homicide · searches: 8</title>"));
    }

    #[test]
    fn test_stacked_columns_add_up() {
        let series = named(&["allowed", "refused"]);
        let rows = [
            row("2026-11-23", &[3.0, 1.0]),
            row("2026-11-30", &[0.0, 0.0]),
        ];
        let svg = chart(&rows, &series, Layout::Columns);
        assert!(svg.contains("data-top=\"5\""), "{svg}");
        assert!(svg.contains("class=\"total\">4</text>"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(svg.contains("2026-11-23: allowed 3, refused 1; 2026-11-30: allowed 0, refused 0"));
        // The legend names both series.
        assert!(
            svg.contains("<li>") && svg.contains("refused</li>"),
            "{svg}"
        );
    }

    #[test]
    fn test_empty_data_says_so_without_a_chart() {
        let series = named(&["n"]);
        assert_eq!(
            chart(&[], &series, Layout::Grouped),
            "<p class=\"chart-empty\" id=\"c\">Nothing yet.</p>"
        );
        let zeros = [row("a", &[0.0])];
        assert!(!chart(&zeros, &series, Layout::Stacked).contains("<svg"));
    }

    #[test]
    fn test_labels_are_escaped() {
        let series = named(&["<s>"]);
        let rows = [Row {
            key: "\"><script>alert(1)</script>".into(),
            label: "<b>A & B</b>".into(),
            values: vec![1.0],
        }];
        let svg = chart(&rows, &series, Layout::Grouped);
        assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;b&gt;A &amp; B&lt;/b&gt;"), "{svg}");
        assert!(svg.contains("data-key=\"&quot;&gt;&lt;script&gt;"), "{svg}");
    }

    #[test]
    fn test_long_labels_are_shortened_in_the_chart_only() {
        let series = named(&["n"]);
        let long = "ICE Enforcement and Removal Operations, Chicago";
        let rows = [Row {
            key: "ice".into(),
            label: long.into(),
            values: vec![1.0],
        }];
        let svg = chart(&rows, &series, Layout::Grouped);
        assert!(
            svg.contains(">ICE Enforcement and Removal Ope…</text>"),
            "{svg}"
        );
        assert!(
            svg.contains(&format!("<title>{long} · n: 1</title>")),
            "{svg}"
        );
        assert_eq!(short("abc", 3), "abc");
    }

    #[test]
    fn test_fmt_num_drops_needless_decimals() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(0.05), "0.05");
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(720.0), "720");
    }
}
