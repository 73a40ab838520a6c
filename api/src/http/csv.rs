//! Rows as CSV, for every export the API has (the reports, the chat history): one writer, so
//! quoting and formula defusing are the same everywhere.
//!
//! Cells hold what customers typed (names, form answers), and a supervisor opens the file in a
//! spreadsheet: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be
//! read as a formula there (CSV injection, OWASP). Such a text cell gets a leading `'`, which
//! spreadsheets show as text and do not evaluate. Numbers are JSON numbers, never defused.

use serde::Serialize;

/// The media type of every CSV answer.
pub const TEXT_CSV: &str = "text/csv; charset=utf-8";

/// Rows as CSV: a header of the JSON field names `columns`, then one line per row (RFC 4180:
/// CRLF line ends, text quoted with its quotes doubled, so no value can break the columns).
pub fn write<T: Serialize>(rows: &[T], columns: &[&str]) -> String {
    let mut out = columns.join(",");
    out.push_str("\r\n");
    for row in rows {
        let value = serde_json::to_value(row).unwrap_or_default();
        let cells: Vec<String> = columns.iter().map(|c| cell(&value[*c])).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(text) => {
            let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                "'"
            } else {
                ""
            };
            format!("\"{defused}{}\"", text.replace('"', "\"\""))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_that_a_spreadsheet_would_run_as_a_formula_is_defused() {
        let rows = [
            "=HYPERLINK(\"x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "a=b",
            "Ola",
        ]
        .map(|name| json!({ "name": name, "n": -4 }));
        let out = write(&rows, &["name", "n"]);
        assert_eq!(
            out,
            "name,n\r\n\
             \"'=HYPERLINK(\"\"x\"\")\",-4\r\n\
             \"'+1\",-4\r\n\
             \"'-2+3\",-4\r\n\
             \"'@SUM(A1)\",-4\r\n\
             \"'\tx\",-4\r\n\
             \"'\rx\",-4\r\n\
             \"a=b\",-4\r\n\
             \"Ola\",-4\r\n"
        );
    }

    #[test]
    fn missing_values_are_empty_cells() {
        let out = write(&[json!({ "a": null })], &["a", "b"]);
        assert_eq!(out, "a,b\r\n,\r\n");
    }
}
