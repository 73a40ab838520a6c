//! A read-model row declares its table's columns once, next to its type: the fold that writes
//! the table, the queries that read it and the reports' CSV headers all take that list, so a
//! column added in one place cannot be missed in another.

/// A row whose fields are named after its columns, listed in table order.
pub trait Columns {
    const COLUMNS: &'static [&'static str];
}

/// `c.chat_id, c.queue_id, …`: the row's columns of the table aliased `alias`.
pub(crate) fn qualified<R: Columns>(alias: &str) -> String {
    R::COLUMNS
        .iter()
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}
