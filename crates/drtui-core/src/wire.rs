//! Names on the wire (runbook files, journals, JSON): taken from the types' serde attributes,
//! never from `Debug`, so a refactor of a variant's Rust name cannot change a journal.

use serde::Serialize;

/// The serialized name of a unit enum variant (`StepKind::Gate` -> `gate`, `CheckName::WriterIn`
/// -> `writer_in`); empty for values that do not serialize to a plain string.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::journal::{RunOutcomeKind, StepOutcome};
    use crate::runbook::spec::{ActionName, CheckName, Mode, StepKind};

    #[test]
    fn names_follow_the_serde_attributes() {
        assert_eq!(wire_name(&StepKind::Gate), "gate");
        assert_eq!(wire_name(&CheckName::WriterIn), "writer_in");
        assert_eq!(
            wire_name(&CheckName::NoFailoverInProgress),
            "no_failover_in_progress"
        );
        assert_eq!(wire_name(&ActionName::AuroraFailover), "aurora_failover");
        assert_eq!(wire_name(&Mode::Ungraceful), "ungraceful");
        assert_eq!(wire_name(&StepOutcome::Skipped), "skipped");
        assert_eq!(wire_name(&RunOutcomeKind::Completed), "completed");
    }
}
