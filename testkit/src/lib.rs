//! Databases for tests: always a fresh SQLite file, and also a fresh PostgreSQL schema when
//! `SAMTALE_TEST_POSTGRES_URL` is set, so every behavioural test runs on both backends and
//! tests can run in parallel. With the `app` feature, [`app::TestApp`]: a whole server on
//! such a database, for tests that drive it over HTTP.
//!
//! A PostgreSQL test gets a new schema migrated from scratch (about 0.2 s, and 0.1 s to drop),
//! not a database cloned from a migrated template: PostgreSQL cannot clone a schema, and while
//! `CREATE DATABASE … TEMPLATE` takes about 0.1 s, `DROP DATABASE` takes about 0.9 s (measured
//! on PostgreSQL 15), so a database per test would make the suite slower, not faster.

#[cfg(feature = "app")]
pub mod app;

use samtale_eventlog::Database;
use sqlx::{Connection, PgConnection};
use std::path::PathBuf;
use tempfile::TempDir;
use uuid::Uuid;

/// The variable naming the PostgreSQL server tests may use.
pub const POSTGRES_URL_VAR: &str = "SAMTALE_TEST_POSTGRES_URL";

/// A database for one test; the SQLite file or PostgreSQL schema lives as long as this does
/// (call [`TestDatabase::drop_schema`] to remove a PostgreSQL schema at the end).
pub struct TestDatabase {
    pub db: Database,
    pub url: String,
    pub backend_name: &'static str,
    /// The database's key file (made on first connect): what every server on it must use.
    pub key_file: PathBuf,
    _dir: TempDir,
    schema: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn drop_schema(self) {
        if let Some((base_url, schema)) = self.schema {
            if let Ok(mut conn) = PgConnection::connect(&base_url).await {
                let _ = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

/// A fresh, migrated database on each backend available to this test run.
pub async fn test_databases() -> Vec<TestDatabase> {
    let mut databases = vec![sqlite_test_database().await];
    if let Some(postgres) = postgres_test_url().await {
        databases.push(postgres);
    }
    databases
}

pub async fn sqlite_test_database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("samtale.db").display());
    let key_file = dir.path().join("samtale.key");
    TestDatabase {
        db: Database::connect(&url, &key_file)
            .await
            .expect("a SQLite test database"),
        url,
        backend_name: "sqlite",
        key_file,
        _dir: dir,
        schema: None,
    }
}

/// A new schema for a test that needs PostgreSQL. Such tests are marked ignored unless the
/// variable was set when they were built (`cfg(samtale_test_postgres)`, from the packages'
/// build script), so a test that runs and finds no server fails rather than passing unrun.
pub async fn required_postgres_test_database() -> TestDatabase {
    postgres_test_url().await.unwrap_or_else(|| {
        panic!("{POSTGRES_URL_VAR} was set when this PostgreSQL-only test was built but is not set now")
    })
}

/// A new schema on the PostgreSQL server named by `SAMTALE_TEST_POSTGRES_URL`, if set.
pub async fn postgres_test_url() -> Option<TestDatabase> {
    let base_url = std::env::var(POSTGRES_URL_VAR).ok()?;
    let schema = format!("samtale_t_{}", Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&base_url)
        .await
        .expect("SAMTALE_TEST_POSTGRES_URL must point at a reachable PostgreSQL");
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("a test schema");
    let separator = if base_url.contains('?') { '&' } else { '?' };
    let url = format!("{base_url}{separator}options=-c%20search_path%3D{schema}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key_file = dir.path().join("samtale.key");
    Some(TestDatabase {
        db: Database::connect(&url, &key_file)
            .await
            .expect("a PostgreSQL test database"),
        url,
        backend_name: "postgres",
        key_file,
        _dir: dir,
        schema: Some((base_url, schema)),
    })
}
