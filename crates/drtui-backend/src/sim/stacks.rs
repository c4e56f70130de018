//! The demo's model of CloudFormation: which resources a template declares for a region (its
//! `Resources` section, `IsPrimary`/`IsSecondary` conditions applied), what each deployed stack
//! holds, and the change set between the two. The demo's stacks start as the shipped templates
//! would make them, except that the API stacks predate `/health` going through the validation
//! function, so a first `provision` on `demo` has real work to show and a second has none.

use std::collections::BTreeMap;
use std::hash::{Hash as _, Hasher as _};

use drtui_core::model::Role;
use drtui_core::ports::{ChangePreview, ResourceChange};

/// One declared resource: its type and a fingerprint of its definition and the parameter
/// values it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    pub resource_type: String,
    pub fingerprint: u64,
}

pub type Resources = BTreeMap<String, Declared>;

/// The resource in the demo's API stacks that predates the shipped template.
const LEGACY_RESOURCE: &str = "HealthMethod";

/// The resources `template` declares for `role` (the `RegionRole` parameter when given),
/// fingerprinted with `parameters`.
pub fn declared(template: &str, role: Role, parameters: &BTreeMap<String, String>) -> Resources {
    let role = match parameters.get("RegionRole").map(String::as_str) {
        Some("primary") => Role::Primary,
        Some("secondary") => Role::Secondary,
        _ => role,
    };
    let mut resources = Resources::new();
    let mut in_resources = false;
    let mut current: Option<(String, Vec<&str>)> = None;
    let finish = |current: Option<(String, Vec<&str>)>, resources: &mut Resources| {
        let Some((id, lines)) = current else { return };
        let condition = lines
            .iter()
            .find_map(|line| line.trim().strip_prefix("Condition: "));
        let wanted = match condition {
            Some("IsPrimary") => role == Role::Primary,
            Some("IsSecondary") => role == Role::Secondary,
            _ => true,
        };
        let resource_type = lines
            .iter()
            .find_map(|line| line.trim().strip_prefix("Type: "))
            .unwrap_or("AWS::CloudFormation::CustomResource")
            .to_owned();
        if wanted {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for line in &lines {
                line.hash(&mut hasher);
            }
            let block = lines.join("\n");
            for (key, value) in parameters {
                if block.contains(&format!("Ref {key}")) || block.contains(&format!("${{{key}}}")) {
                    value.hash(&mut hasher);
                }
            }
            resources.insert(
                id,
                Declared {
                    resource_type,
                    fingerprint: hasher.finish(),
                },
            );
        }
    };
    for line in template.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            finish(current.take(), &mut resources);
            in_resources = line.trim_end() == "Resources:";
            continue;
        }
        if !in_resources {
            continue;
        }
        let is_resource_key =
            line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':');
        if is_resource_key {
            finish(current.take(), &mut resources);
            current = Some((line.trim().trim_end_matches(':').to_owned(), Vec::new()));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    finish(current.take(), &mut resources);
    resources
}

/// What the demo's stack held before drtui ever deployed it: the shipped template, but an API
/// stack's health method as it was before.
pub fn as_first_found(stack: &str, requested: &Resources) -> Resources {
    let mut found = requested.clone();
    if stack.to_ascii_lowercase().contains("-api-")
        && let Some(legacy) = found.get_mut(LEGACY_RESOURCE)
    {
        legacy.fingerprint = legacy.fingerprint.wrapping_add(1);
    }
    found
}

/// The change set from `deployed` (`None`: no such stack) to `requested`.
pub fn change_set(deployed: Option<&Resources>, requested: &Resources) -> ChangePreview {
    let empty = Resources::new();
    let before = deployed.unwrap_or(&empty);
    let mut changes = Vec::new();
    for (id, wanted) in requested {
        match before.get(id) {
            None => changes.push(change("Add", id, wanted, "")),
            Some(had) if had.resource_type != wanted.resource_type => {
                changes.push(change("Modify", id, wanted, "True"));
            }
            Some(had) if had.fingerprint != wanted.fingerprint => {
                changes.push(change("Modify", id, wanted, "False"));
            }
            Some(_) => {}
        }
    }
    for (id, had) in before {
        if !requested.contains_key(id) {
            changes.push(change("Remove", id, had, ""));
        }
    }
    ChangePreview {
        exists: deployed.is_some(),
        changes,
    }
}

fn change(action: &str, id: &str, declared: &Declared, replacement: &str) -> ResourceChange {
    ResourceChange {
        action: action.to_owned(),
        logical_id: id.to_owned(),
        resource_type: declared.resource_type.clone(),
        replacement: replacement.to_owned(),
    }
}

/// The event verb of a change set's action: `Add` creates, `Remove` deletes, `Modify` updates.
fn verb(action: &str) -> &'static str {
    match action {
        "Add" => "CREATE",
        "Remove" => "DELETE",
        _ => "UPDATE",
    }
}

/// The resource events a change set's execution writes, in order.
pub fn events(preview: &ChangePreview) -> Vec<String> {
    preview
        .changes
        .iter()
        .flat_map(|change| {
            let verb = verb(&change.action);
            ["IN_PROGRESS", "COMPLETE"].map(|state| {
                format!(
                    "{} {} {verb}_{state}",
                    change.logical_id, change.resource_type
                )
            })
        })
        .collect()
}

/// A deployment that failed: the stack's end state and what its events said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failed {
    /// `UPDATE_ROLLBACK_COMPLETE` (or `ROLLBACK_COMPLETE` for a stack that was being created).
    pub status: String,
    /// CloudFormation's stack-level reason: which resources failed.
    pub reason: String,
    /// The failing resource's event line, with its reason.
    pub failure: String,
    /// The events of the rollback, in order.
    pub rollback: Vec<String>,
}

/// The events of a deployment that fails on its first change and rolls back, and how it ends.
pub fn failing(stack: &str, preview: &ChangePreview) -> Option<(Vec<String>, Failed)> {
    let first = preview.changes.first()?;
    let verb = verb(&first.action);
    let failure = format!(
        "{} {} {verb}_FAILED: Resource handler returned message: \"Simulated failure (fault stack-update-fails)\"",
        first.logical_id, first.resource_type
    );
    let reason = format!(
        "The following resource(s) failed to {}: [{}].",
        verb.to_ascii_lowercase(),
        first.logical_id
    );
    let (rolling, rolled) = if preview.exists {
        ("UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE")
    } else {
        ("ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE")
    };
    // Rolling back a stack being created deletes what it made; an update is put back.
    let undo = if preview.exists { "UPDATE" } else { "DELETE" };
    let rollback = vec![
        format!("{stack} AWS::CloudFormation::Stack {rolling}: {reason}"),
        format!(
            "{} {} {undo}_COMPLETE",
            first.logical_id, first.resource_type
        ),
        format!("{stack} AWS::CloudFormation::Stack {rolled}"),
    ];
    let mut events = vec![format!(
        "{} {} {verb}_IN_PROGRESS",
        first.logical_id, first.resource_type
    )];
    events.push(failure.clone());
    events.extend(rollback.iter().cloned());
    Some((
        events,
        Failed {
            status: rolled.to_owned(),
            reason,
            failure,
            rollback,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(role: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("EnvironmentSuffix".to_owned(), "demo".to_owned()),
            ("RegionRole".to_owned(), role.to_owned()),
        ])
    }

    #[test]
    fn conditions_pick_each_regions_resources() {
        let template = crate::assets::template("cfn/database.yaml").expect("shipped");
        let primary = declared(&template, Role::Primary, &params("primary"));
        let secondary = declared(&template, Role::Secondary, &params("secondary"));
        assert!(primary.contains_key("GlobalCluster") && !primary.contains_key("RunLockTable"));
        assert!(secondary.contains_key("RunLockTable") && !secondary.contains_key("GlobalCluster"));
        assert_eq!(primary["Cluster"].resource_type, "AWS::RDS::DBCluster");
    }

    #[test]
    fn a_new_stack_adds_everything_an_unchanged_one_nothing_a_parameter_modifies_its_users() {
        let template = crate::assets::template("cfn/network.yaml").expect("shipped");
        let first = declared(&template, Role::Primary, &params("primary"));
        let created = change_set(None, &first);
        assert!(!created.exists);
        assert_eq!(created.changes.len(), first.len());
        assert!(created.changes.iter().all(|c| c.action == "Add"));
        assert!(change_set(Some(&first), &first).changes.is_empty());
        let mut renamed = params("primary");
        renamed.insert("EnvironmentSuffix".to_owned(), "prod".to_owned());
        let again = declared(&template, Role::Primary, &renamed);
        let modified = change_set(Some(&first), &again);
        assert!(
            modified
                .changes
                .iter()
                .any(|c| c.logical_id == "Vpc" && c.action == "Modify")
        );
        assert!(
            !modified
                .changes
                .iter()
                .any(|c| c.logical_id == "GatewayAttachment")
        );
        assert!(!modified.destroys());
    }

    #[test]
    fn a_dropped_resource_is_a_removal_that_destroys() {
        let template = crate::assets::template("cfn/database.yaml").expect("shipped");
        let primary = declared(&template, Role::Primary, &params("primary"));
        let mut fewer = primary.clone();
        fewer.remove("Instance2");
        let preview = change_set(Some(&primary), &fewer);
        assert!(preview.destroys());
        assert_eq!(
            events(&preview),
            [
                "Instance2 AWS::RDS::DBInstance DELETE_IN_PROGRESS",
                "Instance2 AWS::RDS::DBInstance DELETE_COMPLETE"
            ]
        );
        let back = change_set(Some(&fewer), &primary);
        assert_eq!(
            events(&back),
            [
                "Instance2 AWS::RDS::DBInstance CREATE_IN_PROGRESS",
                "Instance2 AWS::RDS::DBInstance CREATE_COMPLETE"
            ]
        );
    }
}
