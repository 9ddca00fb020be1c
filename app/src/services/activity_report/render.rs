//! The activity report's HTML: a summary, a per-day chart drawn as inline SVG (with a
//! title and a description for screen readers), the data table behind the chart, and the
//! account's live links and shares with their opens.
//!
//! Written here rather than through Markdown: the sanitiser would (rightly) strip SVG from
//! what people write. Every text that comes from the database goes through
//! `ammonia::clean_text`; the rest is numbers and dates. The SVG uses presentation
//! attributes only, so the pages' Content-Security-Policy needs no `style-src` for it.

use std::fmt::Write as _;

use super::tally::{DAYS, Day};

/// One series of the chart: its label and colour, and how a day's count is read.
struct Series {
    label: &'static str,
    colour: &'static str,
    count: fn(&Day) -> u32,
}

const SERIES: [Series; 4] = [
    Series { label: "Sign-ins", colour: "#2353d6", count: |d| d.sign_ins },
    Series { label: "Links and shares issued", colour: "#0f8a5f", count: |d| d.issued },
    Series { label: "Revoked or ended", colour: "#b7791f", count: |d| d.revoked },
    Series { label: "Account changes", colour: "#c53030", count: |d| d.account },
];

const WIDTH: u32 = 720;
const HEIGHT: u32 = 240;
const LEFT: u32 = 40;
const BOTTOM: u32 = 30;
const TOP: u32 = 10;

/// Totals of what is live now, with opens (counted per link, not per day).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Live {
    pub report_links: usize,
    pub report_link_opens: i64,
    pub shares: usize,
    pub share_opens_people: i64,
    pub share_opens_automated: i64,
}

/// The report's HTML for `email`'s account.
pub fn html(email: &str, days: &[Day], live: Live) -> String {
    let total: u32 = days.iter().map(Day::total).sum();
    let (first, last) = (day_label(days.first()), day_label(days.last()));
    let busiest = days.iter().filter(|d| d.total() > 0).max_by_key(|d| (d.total(), d.start));
    let mut out = String::new();
    let _ = write!(
        out,
        "<p>Security activity of the account {email} over the {DAYS} days from {first} to \
         {last} (UTC): {total} {events}.</p>",
        email = ammonia::clean_text(email),
        events = if total == 1 { "event" } else { "events" },
    );
    out.push_str(&chart(days, total, busiest));
    out.push_str(&table(days));
    let _ = write!(
        out,
        "<h2>Links and shares now</h2>\
         <table><caption>Live links and shares, with their opens so far</caption>\
         <thead><tr><th scope=\"col\">What</th><th scope=\"col\">Live</th>\
         <th scope=\"col\">Opens by people</th><th scope=\"col\">Automated opens</th></tr></thead>\
         <tbody><tr><th scope=\"row\">Report links</th><td>{}</td><td>{}</td><td>not counted apart</td></tr>\
         <tr><th scope=\"row\">Shares</th><td>{}</td><td>{}</td><td>{}</td></tr></tbody></table>\
         <p>Opens are counted per link, not per day, so they are not in the chart. Automated \
         opens are link scanners and previews, as far as they can be told apart.</p>",
        live.report_links,
        live.report_link_opens,
        live.shares,
        live.share_opens_people,
        live.share_opens_automated,
    );
    out
}

fn day_label(day: Option<&Day>) -> String {
    day.and_then(|d| chrono::DateTime::from_timestamp(d.start, 0))
        .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
}

fn short_label(day: &Day) -> String {
    chrono::DateTime::from_timestamp(day.start, 0)
        .map_or_else(String::new, |d| d.format("%m-%d").to_string())
}

/// Stacked bars, one per day.
fn chart(days: &[Day], total: u32, busiest: Option<&Day>) -> String {
    let peak = days.iter().map(Day::total).max().unwrap_or(0).max(1);
    let plot_height = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / u32::try_from(days.len().max(1)).unwrap_or(1);
    let bar = slot.saturating_sub(4).max(1);
    let description = match busiest {
        Some(day) => format!(
            "{total} events in {DAYS} days; the busiest day was {} with {}. The table below \
             gives every day's figures.",
            day_label(Some(day)),
            day.total()
        ),
        None => format!("No events in {DAYS} days."),
    };
    let mut svg = format!(
        "<figure class=\"chart\"><svg role=\"img\" aria-labelledby=\"activity-chart-title \
         activity-chart-desc\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\">\
         <title id=\"activity-chart-title\">Security events per day</title>\
         <desc id=\"activity-chart-desc\">{description}</desc>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base}\" stroke=\"currentColor\"/>\
         <line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{WIDTH}\" y2=\"{base}\" stroke=\"currentColor\"/>\
         <text x=\"{label_x}\" y=\"{peak_y}\" font-size=\"11\" text-anchor=\"end\" fill=\"currentColor\">{peak}</text>\
         <text x=\"{label_x}\" y=\"{base}\" font-size=\"11\" text-anchor=\"end\" fill=\"currentColor\">0</text>",
        base = HEIGHT - BOTTOM,
        label_x = LEFT - 4,
        peak_y = TOP + 10,
    );
    for (n, day) in days.iter().enumerate() {
        let x = LEFT + 2 + u32::try_from(n).unwrap_or(0) * slot;
        let mut y = HEIGHT - BOTTOM;
        for series in &SERIES {
            let count = (series.count)(day);
            if count == 0 {
                continue;
            }
            let height = (count * plot_height).div_ceil(peak).max(1);
            y = y.saturating_sub(height);
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{height}\" fill=\"{}\"/>",
                series.colour
            );
        }
        // Every fifth day, and the last, is labelled.
        if n % 5 == 0 || n + 1 == days.len() {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"currentColor\">{}</text>",
                x + bar / 2,
                HEIGHT - BOTTOM + 16,
                short_label(day)
            );
        }
    }
    svg.push_str("</svg><figcaption>");
    for series in &SERIES {
        let _ = write!(
            svg,
            "<span class=\"legend\"><svg width=\"12\" height=\"12\" aria-hidden=\"true\">\
             <rect width=\"12\" height=\"12\" fill=\"{}\"/></svg> {}</span> ",
            series.colour, series.label
        );
    }
    svg.push_str("</figcaption></figure>");
    svg
}

/// The data behind the chart: every day, every series.
fn table(days: &[Day]) -> String {
    let mut out = String::from(
        "<table><caption>Security events per day (UTC)</caption><thead><tr><th scope=\"col\">Day</th>",
    );
    for series in &SERIES {
        let _ = write!(out, "<th scope=\"col\">{}</th>", series.label);
    }
    out.push_str("<th scope=\"col\">Total</th></tr></thead><tbody>");
    for day in days.iter().rev() {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", day_label(Some(day)));
        for series in &SERIES {
            let _ = write!(out, "<td>{}</td>", (series.count)(day));
        }
        let _ = write!(out, "<td>{}</td></tr>", day.total());
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_labelled_and_the_data_escaped() {
        let mut days: Vec<Day> =
            (0..DAYS as i64).map(|n| Day { start: n * 86_400, ..Day::default() }).collect();
        days[3].sign_ins = 4;
        days[3].revoked = 1;
        let html = html("<script>@example.com", &days, Live::default());
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;@example.com"));
        assert!(
            html.contains("role=\"img\"") && html.contains("<title id=\"activity-chart-title\">")
        );
        assert!(html.contains("the busiest day was 1970-01-04 with 5"));
        // Two bars drawn (sign-ins and revoked on one day), one table row per day.
        assert_eq!(html.matches("<rect x=").count(), 2);
        assert_eq!(html.matches("<th scope=\"row\">19").count(), DAYS);
        assert!(html.contains("5 events"));
    }
}
