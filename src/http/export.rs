//! Tables as files people open in a spreadsheet: CSV (UTF-8 with a byte
//! order mark, so that Excel reads Chinese correctly) and XLSX.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::HttpResponse;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A fraction shown as a percentage.
    Percent(f64),
    /// An empty denominator: shown as "no data" (无数据), never 0.
    NoData,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    pub fn parse(s: &str) -> Option<FileFormat> {
        match s {
            "csv" => Some(FileFormat::Csv),
            "xlsx" => Some(FileFormat::Xlsx),
            _ => None,
        }
    }
}

/// A text cell a spreadsheet would not run as a formula: one starting with
/// `=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe.
pub fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

impl Table {
    pub fn to_csv(&self, no_data: &str) -> Vec<u8> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut out);
            let _ = w.write_record(self.headers.iter().map(|h| inert(h)));
            for row in &self.rows {
                let _ = w.write_record(row.iter().map(|c| match c {
                    Cell::Text(t) => inert(t),
                    Cell::Number(n) => format_number(*n),
                    Cell::Percent(p) => format!("{}%", format_number(p * 100.0)),
                    Cell::NoData => no_data.to_string(),
                }));
            }
            let _ = w.flush();
        }
        out
    }

    pub fn to_xlsx(&self, sheet: &str, no_data: &str) -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        ws.set_name(sheet)?;
        let bold = Format::new().set_bold();
        let percent = Format::new().set_num_format("0.0%");
        for (c, h) in self.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, inert(h), &bold)?;
            ws.set_column_width(c as u16, 14)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    // Strings are stored as strings: XLSX never evaluates them.
                    Cell::Text(t) => ws.write_string(r, c, t)?,
                    Cell::Number(n) => ws.write_number(r, c, *n)?,
                    Cell::Percent(p) => ws.write_number_with_format(r, c, *p, &percent)?,
                    Cell::NoData => ws.write_string(r, c, no_data)?,
                };
            }
        }
        book.save_to_buffer()
    }
}

/// Whole numbers without a decimal point; others with up to 2 decimals.
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The file as a download named `name` (ASCII; the extension is added).
pub fn attachment(format: FileFormat, name: &str, body: Vec<u8>) -> HttpResponse {
    let (ext, mime) = match format {
        FileFormat::Csv => ("csv", "text/csv; charset=utf-8"),
        FileFormat::Xlsx => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    HttpResponse::Ok()
        .content_type(mime)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!("{name}.{ext}"))],
        })
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_no_data_is_spelled_out() {
        let t = Table {
            headers: vec!["名称".into(), "响应率".into(), "受理量".into()],
            rows: vec![vec![
                Cell::Text("=cmd|' /C calc'!A0".into()),
                Cell::NoData,
                Cell::Number(3.0),
            ]],
        };
        let csv = String::from_utf8(t.to_csv("无数据")).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("'=cmd"), "{csv}");
        assert!(csv.contains("无数据"));
        assert!(csv.contains(",3\n") || csv.ends_with(",3\n"), "{csv}");
    }

    #[test]
    fn numbers_print_plainly() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(66.666), "66.67");
        assert_eq!(format_number(12.5), "12.5");
    }
}
