//! The nationwide dashboard's map: the 31 provinces as a tile grid (one
//! square per province, laid out roughly where it lies), coloured by a rate
//! the supervisor chooses, drawn as SVG on the server. A tile grid needs no
//! boundary data (and so no data licence); every tile prints its value and
//! names it in its `<title>`, so the colour is never the only cue, and
//! links to that province's dashboard.

use std::fmt::Write;

use crate::domain::metrics::daily::DayFigures;

/// A province's tile: its code, short names, and place in the grid.
struct Tile {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    col: u8,
    row: u8,
}

const fn tile(code: &'static str, zh: &'static str, en: &'static str, col: u8, row: u8) -> Tile {
    Tile {
        code,
        zh,
        en,
        col,
        row,
    }
}

/// Eight columns, eight rows; north at the top, west at the left.
const TILES: [Tile; 31] = [
    tile("230000", "黑", "HL", 7, 0),
    tile("650000", "新", "XJ", 0, 1),
    tile("150000", "蒙", "NM", 4, 1),
    tile("110000", "京", "BJ", 5, 1),
    tile("210000", "辽", "LN", 6, 1),
    tile("220000", "吉", "JL", 7, 1),
    tile("630000", "青", "QH", 1, 2),
    tile("620000", "甘", "GS", 2, 2),
    tile("640000", "宁", "NX", 3, 2),
    tile("140000", "晋", "SX", 4, 2),
    tile("130000", "冀", "HE", 5, 2),
    tile("120000", "津", "TJ", 6, 2),
    tile("540000", "藏", "XZ", 1, 3),
    tile("510000", "川", "SC", 2, 3),
    tile("610000", "陕", "SN", 3, 3),
    tile("410000", "豫", "HA", 4, 3),
    tile("370000", "鲁", "SD", 5, 3),
    tile("500000", "渝", "CQ", 3, 4),
    tile("420000", "鄂", "HB", 4, 4),
    tile("340000", "皖", "AH", 5, 4),
    tile("320000", "苏", "JS", 6, 4),
    tile("310000", "沪", "SH", 7, 4),
    tile("530000", "云", "YN", 2, 5),
    tile("520000", "贵", "GZ", 3, 5),
    tile("430000", "湘", "HN", 4, 5),
    tile("360000", "赣", "JX", 5, 5),
    tile("330000", "浙", "ZJ", 6, 5),
    tile("450000", "桂", "GX", 3, 6),
    tile("440000", "粤", "GD", 4, 6),
    tile("350000", "闽", "FJ", 5, 6),
    tile("460000", "琼", "HI", 4, 7),
];

/// The rates the map can be coloured by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapRate {
    Response,
    OnTimeResolution,
    Resolution,
    Satisfaction,
    Score,
}

impl MapRate {
    pub const ALL: [MapRate; 5] = [
        MapRate::Response,
        MapRate::OnTimeResolution,
        MapRate::Resolution,
        MapRate::Satisfaction,
        MapRate::Score,
    ];

    pub fn parse(s: &str) -> MapRate {
        MapRate::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .unwrap_or(MapRate::Response)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MapRate::Response => "response",
            MapRate::OnTimeResolution => "on_time_resolution",
            MapRate::Resolution => "resolution",
            MapRate::Satisfaction => "satisfaction",
            MapRate::Score => "score",
        }
    }

    /// The catalogue key of its name, as the dashboard's cards name it.
    pub fn key(self) -> &'static str {
        match self {
            MapRate::Response => "common.response",
            MapRate::OnTimeResolution => "common.resolved_time",
            MapRate::Resolution => "common.resolution",
            MapRate::Satisfaction => "common.satisfaction",
            MapRate::Score => "common.score",
        }
    }

    /// The value as a share (a score of 0-100 as 0-1), None without data.
    pub fn of(self, f: &DayFigures) -> Option<f64> {
        match self {
            MapRate::Response => f.response.value,
            MapRate::OnTimeResolution => f.on_time_resolution.value,
            MapRate::Resolution => f.resolution.value,
            MapRate::Satisfaction => f.satisfaction.value,
            MapRate::Score => f.score.map(|s| s / 100.0),
        }
    }

    /// The value as a tile prints it.
    pub fn shown(self, share: f64) -> String {
        match self {
            MapRate::Score => format!("{:.0}", share * 100.0),
            _ => format!("{:.0}%", share * 100.0),
        }
    }
}

/// The colour bands, lowest first: (lower bound, fill, text colour).
pub const BANDS: [(f64, &str, &str); 5] = [
    (0.0, "#deebf7", "#1f2933"),
    (0.6, "#c6dbef", "#1f2933"),
    (0.7, "#9ecae1", "#1f2933"),
    (0.8, "#4292c6", "#ffffff"),
    (0.9, "#08519c", "#ffffff"),
];
pub const NO_DATA: &str = "#f0f0f0";

fn band(share: f64) -> (&'static str, &'static str) {
    BANDS
        .iter()
        .rev()
        .find(|(low, _, _)| share >= *low)
        .map_or((BANDS[0].1, BANDS[0].2), |(_, f, t)| (f, t))
}

/// One province as the map shows it.
pub struct Province {
    pub code: String,
    pub name: String,
    /// The chosen rate, as a share; None without data.
    pub share: Option<f64>,
    /// Its full wording for the tile's title ("响应率 92.3%（24/26）").
    pub detail: String,
    pub href: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const SIDE: u32 = 64;
const GAP: u32 = 4;

/// The tile grid as SVG: every province a link with its name, and the
/// value printed on its tile ("—" without data).
pub fn tile_map(title: &str, rate: MapRate, provinces: &[Province], en: bool) -> String {
    let step = SIDE + GAP;
    let (w, h) = (8 * step, 8 * step);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="tile-map" viewBox="0 0 {w} {h}" role="group" aria-labelledby="map-t" xmlns="http://www.w3.org/2000/svg"><title id="map-t">{}</title>"#,
        esc(title)
    );
    for t in &TILES {
        let p = provinces.iter().find(|p| p.code == t.code);
        let (x, y) = (u32::from(t.col) * step, u32::from(t.row) * step);
        let share = p.and_then(|p| p.share);
        let (fill, ink) = share.map_or((NO_DATA, "#1f2933"), band);
        let name = p.map_or(t.zh, |p| p.name.as_str());
        let label = match p {
            Some(p) => format!("{name} {}", p.detail),
            None => name.to_string(),
        };
        let value = share.map_or_else(|| "—".to_string(), |v| rate.shown(v));
        let short = if en { t.en } else { t.zh };
        let body = format!(
            r##"<title>{label}</title><rect x="{x}" y="{y}" width="{SIDE}" height="{SIDE}" rx="6" fill="{fill}" stroke="#52606d" stroke-width="1"/><text x="{cx}" y="{ty}" font-size="22" font-weight="700" text-anchor="middle" fill="{ink}">{short}</text><text x="{cx}" y="{vy}" font-size="20" text-anchor="middle" fill="{ink}">{value}</text>"##,
            label = esc(&label),
            cx = x + SIDE / 2,
            ty = y + 28,
            vy = y + 54,
        );
        match p {
            Some(p) => {
                let _ = write!(
                    s,
                    r#"<a href="{}" aria-label="{}">{body}</a>"#,
                    esc(&p.href),
                    esc(&label)
                );
            }
            None => s.push_str(&format!("<g>{body}</g>")),
        }
    }
    s.push_str("</svg>");
    s
}

/// A small swatch for the legend (an inline SVG: the CSP allows no
/// inline styles).
pub fn swatch(fill: &str) -> String {
    format!(
        r##"<svg class="swatch" viewBox="0 0 16 16" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><rect width="16" height="16" rx="3" fill="{fill}" stroke="#52606d"/></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_holds_31_provinces_each_in_its_own_cell() {
        let mut cells: Vec<(u8, u8)> = TILES.iter().map(|t| (t.col, t.row)).collect();
        cells.sort();
        cells.dedup();
        assert_eq!(cells.len(), 31);
        let mut codes: Vec<&str> = TILES.iter().map(|t| t.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 31);
        assert!(TILES.iter().all(|t| t.col < 8 && t.row < 8));
    }

    #[test]
    fn tiles_print_their_value_link_and_fall_into_bands() {
        let svg = tile_map(
            "地图",
            MapRate::Response,
            &[Province {
                code: "310000".into(),
                name: "上海市".into(),
                share: Some(0.923),
                detail: "响应率 92.3%".into(),
                href: "/dashboard?region=310000".into(),
            }],
            false,
        );
        assert!(
            svg.contains(r#"<a href="/dashboard?region=310000" aria-label="上海市 响应率 92.3%">"#)
        );
        assert!(svg.contains(">92%<") && svg.contains(">沪<"));
        assert_eq!(svg.matches("<rect").count(), 31);
        assert_eq!(band(0.95).0, "#08519c");
        assert_eq!(band(0.65).0, "#c6dbef");
        assert_eq!(band(0.1).0, "#deebf7");
        assert_eq!(MapRate::parse("nonsense"), MapRate::Response);
        assert_eq!(MapRate::Score.shown(0.874), "87");
    }
}
