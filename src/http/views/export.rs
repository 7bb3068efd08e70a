//! Tables as files people open in a spreadsheet: CSV (UTF-8 with a byte
//! order mark, so that Excel reads Chinese correctly) and XLSX.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, HttpResponseBuilder};
use std::io::Write;
use tokio::sync::mpsc;

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
    /// A wall time in Beijing, to the minute: a date cell in XLSX.
    DateTime(chrono::NaiveDateTime),
    /// A Beijing calendar day: a date cell in XLSX.
    Date(chrono::NaiveDate),
}

/// The Excel value of a Beijing wall time (to the minute).
fn excel_datetime(at: &chrono::NaiveDateTime) -> Result<rust_xlsxwriter::ExcelDateTime, XlsxError> {
    use chrono::{Datelike, Timelike};
    rust_xlsxwriter::ExcelDateTime::from_ymd(at.year() as u16, at.month() as u8, at.day() as u8)?
        .and_hms(at.hour() as u16, at.minute() as u8, 0)
}

fn excel_date(d: &chrono::NaiveDate) -> Result<rust_xlsxwriter::ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
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
        let mut out = Vec::new();
        let written = SheetWriter::new(FileFormat::Csv, &mut out, "", &self.headers, no_data)
            .and_then(|mut w| {
                self.rows.iter().try_for_each(|r| w.row(r))?;
                w.finish()
            });
        // Writing into memory cannot fail.
        debug_assert!(written.is_ok());
        out
    }

    pub fn to_xlsx(&self, sheet: &str, no_data: &str) -> Result<Vec<u8>, ExportError> {
        let mut out = Vec::new();
        let mut w = SheetWriter::new(FileFormat::Xlsx, &mut out, sheet, &self.headers, no_data)?;
        self.rows.iter().try_for_each(|r| w.row(r))?;
        w.finish()?;
        Ok(out)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing XLSX: {0}")]
    Xlsx(#[from] XlsxError),
}

/// Rows written one at a time into a CSV or XLSX file, so that an export
/// of any length needs the memory of one row: CSV goes straight to `out`;
/// an XLSX sheet is kept in a temporary file (rust_xlsxwriter's constant
/// memory mode) and zipped into `out` at the end.
pub struct SheetWriter<W: Write + Send> {
    sink: Sink<W>,
    no_data: String,
    rows: u32,
}

enum Sink<W: Write + Send> {
    Csv(Box<csv::Writer<W>>),
    Xlsx {
        book: Box<Workbook>,
        out: W,
        formats: Box<CellFormats>,
    },
}

/// How an XLSX sheet shows percentages and dates.
struct CellFormats {
    percent: Format,
    datetime: Format,
    date: Format,
}

impl<W: Write + Send> SheetWriter<W> {
    /// Starts the file with its header row (and the byte order mark, for CSV).
    pub fn new(
        format: FileFormat,
        mut out: W,
        sheet: &str,
        headers: &[String],
        no_data: &str,
    ) -> Result<SheetWriter<W>, ExportError> {
        let sink = match format {
            FileFormat::Csv => {
                out.write_all("\u{feff}".as_bytes())?;
                let mut w = csv::Writer::from_writer(out);
                w.write_record(headers.iter().map(|h| inert(h)))?;
                Sink::Csv(Box::new(w))
            }
            FileFormat::Xlsx => {
                let mut book = Box::new(Workbook::new());
                let ws = book.add_worksheet_with_constant_memory()?;
                ws.set_name(sheet)?;
                let bold = Format::new().set_bold();
                for (c, h) in headers.iter().enumerate() {
                    ws.set_column_width(c as u16, 14)?;
                    ws.write_string_with_format(0, c as u16, inert(h), &bold)?;
                }
                Sink::Xlsx {
                    book,
                    out,
                    formats: Box::new(CellFormats {
                        percent: Format::new().set_num_format("0.0%"),
                        datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
                        date: Format::new().set_num_format("yyyy-mm-dd"),
                    }),
                }
            }
        };
        Ok(SheetWriter {
            sink,
            no_data: no_data.to_string(),
            rows: 0,
        })
    }

    pub fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        self.rows += 1;
        match &mut self.sink {
            Sink::Csv(w) => w.write_record(cells.iter().map(|c| match c {
                Cell::Text(t) => inert(t),
                Cell::Number(n) => format_number(*n),
                Cell::Percent(p) => format!("{}%", format_number(p * 100.0)),
                Cell::NoData => self.no_data.clone(),
                Cell::DateTime(at) => at.format("%Y-%m-%d %H:%M").to_string(),
                Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            }))?,
            Sink::Xlsx { book, formats, .. } => {
                let CellFormats {
                    percent,
                    datetime,
                    date,
                } = formats.as_ref();
                let ws = book.worksheet_from_index(0)?;
                let r = self.rows;
                for (c, cell) in cells.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        // Strings are stored as strings: XLSX never evaluates them.
                        Cell::Text(t) => ws.write_string(r, c, t)?,
                        Cell::Number(n) => ws.write_number(r, c, *n)?,
                        Cell::Percent(p) => ws.write_number_with_format(r, c, *p, percent)?,
                        Cell::NoData => ws.write_string(r, c, &self.no_data)?,
                        Cell::DateTime(at) => {
                            ws.write_datetime_with_format(r, c, excel_datetime(at)?, datetime)?
                        }
                        Cell::Date(d) => {
                            ws.write_datetime_with_format(r, c, excel_date(d)?, date)?
                        }
                    };
                }
            }
        }
        Ok(())
    }

    /// Rows written so far, the header not counted.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Completes the file.
    pub fn finish(self) -> Result<(), ExportError> {
        match self.sink {
            Sink::Csv(mut w) => w.flush()?,
            Sink::Xlsx { mut book, out, .. } => book.save_to_writer(out)?,
        }
        Ok(())
    }
}

/// Rows an XLSX sheet holds, the header included.
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

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
    download(format, name).body(body)
}

fn download(format: FileFormat, name: &str) -> HttpResponseBuilder {
    let (ext, mime) = match format {
        FileFormat::Csv => ("csv", "text/csv; charset=utf-8"),
        FileFormat::Xlsx => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let mut res = HttpResponse::Ok();
    res.content_type(mime).insert_header(ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(format!("{name}.{ext}"))],
    });
    res
}

/// Bytes handed to the response body at a time.
const CHUNK: usize = 64 * 1024;

/// A `Write` that hands what is written to a streamed response body, a
/// chunk at a time. Blocking (it waits while the client is slow, so memory
/// stays flat): use it on the blocking thread pool. Writing fails once the
/// client has gone.
pub struct BodyWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<std::io::Result<Bytes>>,
}

impl BodyWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client has gone"))
    }
}

impl Write for BodyWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        // The zip writer does not flush its writer at the end.
        let _ = self.send();
    }
}

/// A download whose body `produce` writes on the blocking thread pool
/// while it is being sent. If `produce` fails part way, the response is cut
/// off, so the client sees a broken download rather than a short file.
pub fn streamed(
    format: FileFormat,
    name: &str,
    produce: impl FnOnce(BodyWriter) -> Result<(), String> + Send + 'static,
) -> HttpResponse {
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(4);
    let cut = tx.clone();
    tokio::task::spawn_blocking(move || {
        let writer = BodyWriter {
            buf: Vec::with_capacity(CHUNK),
            tx,
        };
        if let Err(e) = produce(writer) {
            tracing::warn!(error = %e, "an export stopped part way");
            let _ = cut.blocking_send(Err(std::io::Error::other(e)));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    download(format, name).streaming(body)
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
