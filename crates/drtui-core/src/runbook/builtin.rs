//! The built-in runbooks for the reference estate, embedded in the binary at compile time, and
//! the fingerprint a journal keeps of a runbook's text. Where user runbooks come from (files)
//! is the engine's business.

use super::step::Runbook;
use super::validate::{self, RunbookError};

/// The built-in runbooks for the reference estate.
pub const BUILT_IN: [(&str, &str); 5] = [
    (
        "switchover",
        include_str!("../../../../runbooks/switchover.yaml"),
    ),
    (
        "failover",
        include_str!("../../../../runbooks/failover.yaml"),
    ),
    (
        "failback",
        include_str!("../../../../runbooks/failback.yaml"),
    ),
    ("drill", include_str!("../../../../runbooks/drill.yaml")),
    (
        "provision",
        include_str!("../../../../runbooks/provision.yaml"),
    ),
];

/// A built-in runbook by name, validated; `None` when there is none of that name.
pub fn find(name: &str) -> Option<Result<Runbook, RunbookError>> {
    BUILT_IN
        .iter()
        .find(|(built_in, _)| *built_in == name)
        .map(|(name, text)| validate::load(text, &format!("runbooks/{name}.yaml")))
}

/// SHA-256 of a runbook's text, recorded in the journal so `resume` can refuse a runbook that
/// changed under a run.
pub fn fingerprint(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
