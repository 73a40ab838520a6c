// `sqlx::migrate!` embeds the migrations at compile time but does not tell cargo about the
// files: without this, a new migration is missed by an incremental build (sqlx's documented fix).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
