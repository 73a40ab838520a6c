use chrono::{DateTime, SecondsFormat, Utc};

/// How times are stored in read models on both backends: RFC 3339, UTC, microseconds,
/// fixed width, so that text order is time order and `WHERE at >= $1` works on either.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
