//! Reading and writing many rows in few statements: how batch folds avoid one statement per
//! event, which would cap a fold at a few hundred events a second.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use std::fmt::Write;

/// A value bound into a bulk statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(Option<String>),
    Int(i64),
    OptionalInt(Option<i64>),
    Float(Option<f64>),
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Cell::Text(Some(value))
    }
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        Cell::Text(value)
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Cell::Int(value)
    }
}

impl From<Option<i64>> for Cell {
    fn from(value: Option<i64>) -> Self {
        Cell::OptionalInt(value)
    }
}

impl From<Option<f64>> for Cell {
    fn from(value: Option<f64>) -> Self {
        Cell::Float(value)
    }
}

/// Bound values per statement, below both backends' limits (SQLite 32,766; PostgreSQL 65,535).
const PARAMETERS: usize = 30_000;

/// `($1, $2), ($3, $4), …` for `rows` rows shaped like `first`.
fn placeholders(sql: &mut String, rows: usize, first: &[Cell]) {
    let width = first.len();
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (column, cell) in first.iter().enumerate() {
            let separator = if column == 0 { "" } else { ", " };
            let n = row * width + column + 1;
            match cell {
                Cell::Float(_) => write!(sql, "{separator}CAST(${n} AS double precision)"),
                Cell::OptionalInt(_) => write!(sql, "{separator}CAST(${n} AS bigint)"),
                _ => write!(sql, "{separator}${n}"),
            }
            .unwrap_or_default();
        }
        sql.push(')');
    }
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    cells: impl IntoIterator<Item = &'q Cell>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for cell in cells {
        query = match cell {
            Cell::Text(value) => query.bind(value.clone()),
            Cell::Int(value) => query.bind(*value),
            // As text, cast in the SQL: sqlx 0.8's Any driver sends a NULL f64 to PostgreSQL
            // as a float4, and a statement first prepared with one then fails on a real value.
            Cell::Float(value) => query.bind(value.map(|v| v.to_string())),
            // As text and cast, for the same reason as a float.
            Cell::OptionalInt(value) => query.bind(value.map(|v| v.to_string())),
        };
    }
    query
}

/// `INSERT INTO table (columns) VALUES (…), (…) tail` for every row, in as few statements as
/// the parameter limits allow. `tail` is an `ON CONFLICT` clause or empty.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
    tail: &str,
) -> Result<(), sqlx::Error> {
    let width = columns.len();
    for chunk in rows.chunks(PARAMETERS / width) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        placeholders(&mut sql, chunk.len(), &chunk[0]);
        sql.push(' ');
        sql.push_str(tail);
        bind_all(sqlx::query(&sql), chunk.iter().flatten())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Inserts rows, or replaces every column of the rows whose key (the first column) exists.
pub(crate) async fn replace(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), sqlx::Error> {
    let Some((key, rest)) = columns.split_first() else {
        return Ok(());
    };
    let set: Vec<String> = rest.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let tail = format!("ON CONFLICT ({key}) DO UPDATE SET {}", set.join(", "));
    insert(conn, table, columns, rows, &tail).await
}

/// `UPDATE table SET set` for the rows whose key (the first column) matches one of `rows`;
/// `set` reads each row's values as `d.<column>`. Rows without a match change nothing.
pub(crate) async fn update(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
    set: &str,
) -> Result<(), sqlx::Error> {
    let Some(key) = columns.first() else {
        return Ok(());
    };
    for chunk in rows.chunks(PARAMETERS / columns.len()) {
        // A named CTE rather than `FROM (VALUES …) AS d (columns)`, which SQLite cannot name.
        let mut sql = format!("WITH d ({}) AS (VALUES ", columns.join(", "));
        placeholders(&mut sql, chunk.len(), &chunk[0]);
        let _ = write!(
            sql,
            ") UPDATE {table} SET {set} FROM d WHERE {table}.{key} = d.{key}"
        );
        bind_all(sqlx::query(&sql), chunk.iter().flatten())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The rows of `select … WHERE key IN (…)` for every key, in as few statements as the
/// parameter limits allow. `select` ends just before the `IN` list, e.g. `… WHERE chat_id`.
pub(crate) async fn select_in(
    conn: &mut AnyConnection,
    select: &str,
    keys: &[Cell],
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(PARAMETERS) {
        let mut sql = format!("{select} IN ");
        let list: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let _ = write!(sql, "({})", list.join(", "));
        rows.extend(
            bind_all(sqlx::query(&sql), chunk)
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    Ok(rows)
}

/// `DELETE FROM table WHERE (key columns) IN (VALUES (…), (…))` for every row of keys.
pub(crate) async fn delete_rows(
    conn: &mut AnyConnection,
    table: &str,
    key: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(PARAMETERS / key.len()) {
        let mut sql = format!("DELETE FROM {table} WHERE ({}) IN (VALUES ", key.join(", "));
        placeholders(&mut sql, chunk.len(), &chunk[0]);
        sql.push(')');
        bind_all(sqlx::query(&sql), chunk.iter().flatten())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
