//! Every setting `samtale serve` reads from the environment is in the operators' reference
//! (`docs/deploy/README.md`, "Environment reference"), so a new one cannot go undocumented.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn every_environment_setting_of_serve_is_in_the_deploy_reference() {
    let help = Command::new(env!("CARGO_BIN_EXE_samtale"))
        .args(["serve", "--help"])
        .output()
        .expect("samtale serve --help runs");
    let help = String::from_utf8(help.stdout).unwrap();
    let settings: BTreeSet<&str> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next())
        .collect();
    assert!(settings.len() > 20, "{help}");
    let reference = include_str!("../../docs/deploy/README.md")
        .split("## Environment reference")
        .nth(1)
        .expect("the README has an environment reference");
    let missing: Vec<&&str> = settings
        .iter()
        .filter(|name| !reference.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "not in the reference: {missing:?}");
}
