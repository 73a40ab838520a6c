//! Build script shared by the packages whose tests need PostgreSQL: it turns on
//! `cfg(samtale_test_postgres)` when `SAMTALE_TEST_POSTGRES_URL` is set at build time, and
//! `cfg(samtale_test_smtp)` when `SAMTALE_TEST_SMTP` names a Python with `aiosmtpd` (the real
//! SMTP server the mail tests start).
//!
//! libtest decides "ignored" when it compiles the test, not when it runs it, so a test that
//! finds no database at run time can only return early — and then counts as passed. With this
//! cfg, PostgreSQL-only tests are marked `ignore` when no database was configured, and when
//! one was, a database missing at run time fails them instead.
//!
//! The cfg reaches every target of the package, so setting or unsetting the variable rebuilds
//! the package and what depends on it.

fn main() {
    println!("cargo::rerun-if-env-changed=SAMTALE_TEST_POSTGRES_URL");
    // `sqlx::migrate!` embeds the migrations at compile time but does not tell cargo about the
    // files: without this, an incremental build misses a new migration (sqlx's documented fix).
    println!("cargo::rerun-if-changed=../migrations");
    println!("cargo::rustc-check-cfg=cfg(samtale_test_postgres)");
    if std::env::var_os("SAMTALE_TEST_POSTGRES_URL").is_some() {
        println!("cargo::rustc-cfg=samtale_test_postgres");
    }
    println!("cargo::rerun-if-env-changed=SAMTALE_TEST_SMTP");
    println!("cargo::rustc-check-cfg=cfg(samtale_test_smtp)");
    if std::env::var_os("SAMTALE_TEST_SMTP").is_some() {
        println!("cargo::rustc-cfg=samtale_test_smtp");
    }
}
