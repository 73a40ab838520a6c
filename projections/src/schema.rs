//! Projection tables: defined once for both backends, created per generation, read through
//! stable views.

use sqlx::AnyConnection;

/// One table of a projection. Column types are the ones PostgreSQL and SQLite share
/// (`text`, `bigint`, `double precision`), so one definition serves both.
pub struct Table {
    pub name: &'static str,
    pub columns: &'static str,
    /// `(suffix, column list)` of each secondary index.
    pub indexes: &'static [(&'static str, &'static str)],
}

/// A generation of a projection's tables: `chats_g2` is generation 2 of the `chats` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(pub i64);

impl Generation {
    pub fn table(&self, name: &str) -> String {
        format!("{name}_g{}", self.0)
    }
}

pub(crate) async fn create_tables(
    conn: &mut AnyConnection,
    tables: &[Table],
    generation: Generation,
) -> Result<(), sqlx::Error> {
    for table in tables {
        let name = generation.table(table.name);
        sqlx::query(&format!("CREATE TABLE {name} ({})", table.columns))
            .execute(&mut *conn)
            .await?;
        for (suffix, columns) in table.indexes {
            sqlx::query(&format!(
                "CREATE INDEX {name}_{suffix} ON {name} ({columns})"
            ))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Runs the statement `sql` gives for each of a generation's tables.
async fn each_table(
    conn: &mut AnyConnection,
    tables: &[Table],
    generation: Generation,
    sql: impl Fn(&str) -> String,
) -> Result<(), sqlx::Error> {
    for table in tables {
        sqlx::query(&sql(&generation.table(table.name)))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(crate) async fn drop_tables(
    conn: &mut AnyConnection,
    tables: &[Table],
    generation: Generation,
) -> Result<(), sqlx::Error> {
    each_table(conn, tables, generation, |t| {
        format!("DROP TABLE IF EXISTS {t}")
    })
    .await
}

/// Refreshes the planner's statistics of a generation's tables. Tables filled by a rebuild
/// have none until autovacuum gets to them, and without statistics PostgreSQL guesses that a
/// lookup of a few hundred keys matches most of a table and scans all of it.
pub(crate) async fn analyze_tables(
    conn: &mut AnyConnection,
    tables: &[Table],
    generation: Generation,
) -> Result<(), sqlx::Error> {
    each_table(conn, tables, generation, |t| format!("ANALYZE {t}")).await
}

/// Points each stable view at the given generation.
pub(crate) async fn point_views(
    conn: &mut AnyConnection,
    tables: &[Table],
    generation: Generation,
) -> Result<(), sqlx::Error> {
    for table in tables {
        sqlx::query(&format!("DROP VIEW IF EXISTS {}", table.name))
            .execute(&mut *conn)
            .await?;
        sqlx::query(&format!(
            "CREATE VIEW {} AS SELECT * FROM {}",
            table.name,
            generation.table(table.name)
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The column names a table's definition declares, in order, for tests that hold a row
/// type's column list to its table.
#[cfg(test)]
pub(crate) fn declared_columns(tables: &[Table], name: &str) -> Vec<String> {
    let table = tables.iter().find(|t| t.name == name);
    let mut columns = Vec::new();
    let (mut depth, mut start) = (0, 0);
    let definition = table.map_or("", |t| t.columns);
    for (i, c) in definition.char_indices().chain([(definition.len(), ',')]) {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                let part = definition[start..i].trim();
                let column = part.split_whitespace().next().unwrap_or_default();
                if column != "PRIMARY" {
                    columns.push(column.to_string());
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    columns
}
