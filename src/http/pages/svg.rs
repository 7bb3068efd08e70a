//! Charts drawn on the server as SVG: a few lines and bars, labelled for
//! screen readers, colours by presentation attributes (the pages' CSP
//! allows no inline styles). A charting library would bring font metrics
//! and a raster stack for what is here a hundred lines of arithmetic.

use std::fmt::Write;

/// Escapes text for SVG/XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// One line of a chart: its name, colour, and a value (0..=1) per point,
/// None where there is no data (the line breaks there), with what hovering
/// a point says (its `<title>`).
pub struct Series<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub values: Vec<Option<f64>>,
    pub tips: Vec<String>,
}

/// A chart's drawing size: the page shows the wide one on a screen and the
/// narrow one on a phone, each at about its own size, so that its text
/// stays at least 12 px (a 720-wide chart shrunk to a phone's width made
/// it 5 px).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Size {
    Wide,
    Narrow,
}

impl Size {
    fn width(self) -> f64 {
        match self {
            Size::Wide => 720.0,
            Size::Narrow => 340.0,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Size::Wide => "chart chart-wide",
            Size::Narrow => "chart chart-narrow",
        }
    }
}

const H: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 34.0;

/// Rates (0-100 %) over days or weeks: one line per series, a few points
/// labelled under the axis, each point's values in its `<title>`; points
/// marked in `gaps` (non-working days) are shaded and the lines break there.
pub fn rate_lines(
    title: &str,
    days: &[String],
    gaps: &[bool],
    series: &[Series],
    size: Size,
) -> String {
    let mut s = String::new();
    let w = size.width();
    let n = days.len().max(1);
    let plot_w = w - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| {
        LEFT + if n == 1 {
            plot_w / 2.0
        } else {
            plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - v.clamp(0.0, 1.0));
    let id = format!(
        "{}{}",
        title.len(),
        if size == Size::Wide { "w" } else { "n" }
    );
    let _ = write!(
        s,
        r#"<svg class="{class}" viewBox="0 0 {w} {H}" role="img" aria-labelledby="ct-{id}" xmlns="http://www.w3.org/2000/svg"><title id="ct-{id}">{t}</title>"#,
        class = size.class(),
        t = esc(title)
    );
    let slot = if n > 1 {
        plot_w / (n - 1) as f64
    } else {
        plot_w
    };
    for (i, gap) in gaps.iter().enumerate() {
        if *gap {
            let _ = write!(
                s,
                r##"<rect x="{:.1}" y="{TOP}" width="{:.1}" height="{plot_h}" fill="#eef2f6"/>"##,
                x(i) - slot / 2.0,
                slot
            );
        }
    }
    for pct in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{y1:.1}" y2="{y1:.1}" stroke="#d9e2ec" stroke-width="1"/><text x="{tx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#52606d">{p}%</text>"##,
            x2 = w - RIGHT,
            y1 = y(pct),
            tx = LEFT - 6.0,
            ty = y(pct) + 4.0,
            p = (pct * 100.0) as u32
        );
    }
    // About one label per 90 units of width, never overlapping.
    let labels = ((w / 90.0) as usize).max(2);
    let step = n.div_ceil(labels).max(1);
    for (i, d) in days.iter().enumerate() {
        if i % step == 0 {
            let short = d.split('~').next().unwrap_or(d);
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle" fill="#52606d">{}</text>"##,
                x(i),
                H - 12.0,
                esc(short.get(5..).unwrap_or(short))
            );
        }
    }
    for (k, line) in series.iter().enumerate() {
        // Runs of consecutive points with data, each one path.
        let mut d = String::new();
        let mut dots = String::new();
        let mut pen_down = false;
        for (i, v) in line.values.iter().enumerate() {
            match v.filter(|_| !gaps.get(i).copied().unwrap_or(false)) {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x(i),
                        y(v)
                    );
                    let _ = write!(
                        dots,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"><title>{}</title></circle>"#,
                        x(i),
                        y(v),
                        esc(line.colour),
                        esc(line.tips.get(i).map_or("", String::as_str))
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !d.is_empty() {
            let _ = write!(
                s,
                r#"<path d="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                d.trim_end(),
                esc(line.colour)
            );
        }
        s.push_str(&dots);
        // The legend, along the top.
        let lx = LEFT + (w - LEFT) / 3.0 * k as f64;
        let _ = write!(
            s,
            r##"<rect x="{lx}" y="8" width="14" height="4" fill="{c}"/><text x="{tx}" y="14" font-size="12" fill="#1f2933">{name}</text>"##,
            c = esc(line.colour),
            tx = lx + 18.0,
            name = esc(line.name)
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars: a label and a value (0-100, e.g. a score) each,
/// best first as given.
pub fn score_bars(title: &str, bars: &[(String, Option<f64>)], size: Size) -> String {
    let row = 24.0;
    let w = size.width();
    let label_w = if size == Size::Wide { 220.0 } else { 120.0 };
    let h = TOP + row * bars.len().max(1) as f64 + 8.0;
    let plot_w = w - label_w - 60.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="{class}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="cb-{id}" xmlns="http://www.w3.org/2000/svg"><title id="cb-{id}">{t}</title>"#,
        class = size.class(),
        id = format!(
            "{}{}",
            title.len(),
            if size == Size::Wide { "w" } else { "n" }
        ),
        t = esc(title)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = TOP + row * i as f64;
        let shown: String = label
            .chars()
            .take(if size == Size::Wide { 16 } else { 8 })
            .collect();
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty:.1}" font-size="12" text-anchor="end" fill="#1f2933">{l}</text>"##,
            lx = label_w - 8.0,
            ty = y + 15.0,
            l = esc(&shown)
        );
        match value {
            Some(v) => {
                let bw = plot_w * (v / 100.0).clamp(0.0, 1.0);
                let _ = write!(
                    s,
                    r##"<rect x="{label_w}" y="{ry:.1}" width="{bw:.1}" height="16" fill="#b4232a"><title>{l} {v:.1}</title></rect><text x="{tx:.1}" y="{ty:.1}" font-size="12" fill="#1f2933">{v:.1}</text>"##,
                    l = esc(label),
                    ry = y + 3.0,
                    tx = label_w + bw + 6.0,
                    ty = y + 15.0
                );
            }
            None => {
                let _ = write!(
                    s,
                    r##"<text x="{label_w}" y="{ty:.1}" font-size="12" fill="#52606d">—</text>"##,
                    ty = y + 15.0
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_their_text_and_break_lines_where_data_is_missing() {
        let days: Vec<String> = ["2022-04-01", "2022-04-02", "2022-04-03"]
            .iter()
            .map(|d| d.to_string())
            .collect();
        let svg = rate_lines(
            "<script>",
            &days,
            &[false; 3],
            &[Series {
                name: "响应率",
                colour: "#1d6b38",
                values: vec![Some(0.5), None, Some(1.0)],
                tips: vec!["04-01 50%".into(), String::new(), "04-03 100%".into()],
            }],
            Size::Wide,
        );
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        // Two runs: two moves, no line across the gap; a dot per value.
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert!(!svg.contains('L'), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("<title>04-01 50%</title>"), "{svg}");
        // A non-working day is shaded and breaks the line.
        let gapped = rate_lines(
            "t",
            &days,
            &[false, false, true],
            &[Series {
                name: "n",
                colour: "#000",
                values: vec![Some(0.5), Some(0.6), Some(1.0)],
                tips: vec![String::new(); 3],
            }],
            Size::Narrow,
        );
        assert_eq!(gapped.matches("<circle").count(), 2, "{gapped}");
        assert!(gapped.contains("#eef2f6") && gapped.contains("chart-narrow"));
        // No text under 12 px.
        for svg in [&svg, &gapped] {
            assert!(!svg.contains("font-size=\"11\""), "{svg}");
        }
        let bars = score_bars(
            "排名",
            &[("上海<市>".into(), Some(91.5)), ("吉林".into(), None)],
            Size::Wide,
        );
        assert!(bars.contains("上海&lt;市&gt;") && bars.contains("91.5") && bars.contains('—'));
    }
}
