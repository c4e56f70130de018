//! Loading and checking runbooks: every problem with file:line:column and what was expected,
//! all of them at once, so an author fixes a file in one pass.

use crate::wire::wire_name;
use std::collections::BTreeSet;
use std::fmt;

use serde_saphyr::Spanned;

use super::spec::{ActionName, CheckName, ParamType, Runbook, Step, StepKind};

/// One problem at one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Every problem of one file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RunbookError {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for RunbookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, diagnostic.line, diagnostic.column, diagnostic.message
            )?;
        }
        Ok(())
    }
}

fn at<T>(spanned: &Spanned<T>, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        line: spanned.referenced.line(),
        column: spanned.referenced.column(),
        message: message.into(),
    }
}

/// Parses and validates a runbook file's text.
pub fn load(text: &str, file: &str) -> Result<Runbook, RunbookError> {
    let runbook: Runbook = serde_saphyr::from_str(text).map_err(|error| {
        let location = error.location();
        let rendered = error.without_snippet().to_string();
        // "error: line 3 column 5: unknown variant ..." -> "unknown variant ..."
        let message = rendered
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .split_once(": ")
            .filter(|(prefix, _)| prefix.starts_with("line "))
            .map_or_else(
                || rendered.lines().next().unwrap_or_default().to_owned(),
                |(_, rest)| rest.to_owned(),
            );
        // The position is reported separately; drop serde's own " at line N, column M".
        let message = match message.rfind(" at line ") {
            Some(cut) => message[..cut].to_owned(),
            None => message,
        };
        RunbookError {
            file: file.to_owned(),
            diagnostics: vec![Diagnostic {
                line: location.as_ref().map_or(1, |location| location.line()),
                column: location.as_ref().map_or(1, |location| location.column()),
                message,
            }],
        }
    })?;
    let diagnostics = validate(&runbook);
    if diagnostics.is_empty() {
        Ok(runbook)
    } else {
        Err(RunbookError {
            file: file.to_owned(),
            diagnostics,
        })
    }
}

/// Everything wrong with a parsed runbook, in file order.
#[allow(
    clippy::too_many_lines,
    reason = "one pass over the runbook: every rule reports with its position, in file order"
)]
pub fn validate(runbook: &Runbook) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    if runbook.name.value.trim().is_empty() {
        problems.push(at(&runbook.name, "the runbook needs a name"));
    }
    if runbook.steps.is_empty() {
        problems.push(at(&runbook.name, "the runbook has no steps"));
    }
    for (name, parameter) in &runbook.parameters {
        if let Some(default) = &parameter.default
            && let Err(why) = check_value(parameter.kind, &default.value)
        {
            problems.push(at(default, format!("default of parameter `{name}`: {why}")));
        }
    }
    let ids: BTreeSet<&str> = runbook
        .steps
        .iter()
        .map(|step| step.id.value.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    let mut last_gate: Option<usize> = None;
    let mut last_mutation: Option<usize> = None;
    for (index, step) in runbook.steps.iter().enumerate() {
        let id = step.id.value.as_str();
        if !seen.insert(id) {
            problems.push(at(&step.id, format!("duplicate step id `{id}`")));
        }
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            problems.push(at(
                &step.id,
                format!("step id `{id}` must be lowercase letters, digits and dashes"),
            ));
        }
        check_fields(runbook, step, &mut problems);
        for field in [&step.timeout, &step.interval].into_iter().flatten() {
            if let Err(why) = check_duration_or_reference(runbook, &field.value) {
                problems.push(at(field, why));
            }
        }
        if let Some(max) = &step.max
            && let Err(why) = check_duration_or_reference(runbook, &max.value)
        {
            problems.push(at(max, why));
        }
        if let Some(super::spec::OnFailure::Rollback(targets)) = &step.on_failure {
            for target in targets {
                if !ids.contains(target.value.as_str()) {
                    problems.push(at(
                        target,
                        format!("rollback names unknown step `{}`", target.value),
                    ));
                } else if target.value == id {
                    problems.push(at(target, "a step cannot be its own rollback"));
                }
            }
        }
        match step.kind.value {
            StepKind::Gate => last_gate = Some(index),
            StepKind::Action => {
                if last_gate.is_none() {
                    problems.push(at(
                        &step.id,
                        format!("step `{id}` changes the estate but no gate comes before it"),
                    ));
                } else if step.loses_data()
                    && last_mutation.is_some_and(|mutation| Some(mutation) > last_gate)
                {
                    problems.push(at(
                        &step.id,
                        format!("step `{id}` may lose data: it needs a gate of its own after the previous action"),
                    ));
                }
                last_mutation = Some(index);
            }
            _ => {}
        }
    }
    problems.sort_by_key(|problem| (problem.line, problem.column));
    problems
}

/// `${name}` must name a declared parameter; anything else must be a humantime duration.
fn check_duration_or_reference(runbook: &Runbook, value: &str) -> Result<(), String> {
    if let Some(name) = value
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
    {
        return match runbook.parameters.get(name) {
            Some(parameter) if parameter.kind == ParamType::Duration => Ok(()),
            Some(_) => Err(format!("parameter `{name}` is not a duration")),
            None => Err(format!(
                "unknown parameter `{name}` (declare it under `parameters`)"
            )),
        };
    }
    crate::limits::duration(value, crate::limits::MAX_RUNBOOK_DURATION)
        .map(|_| ())
        .map_err(|message| format!("{message}, or \"${{param}}\""))
}

fn check_value(kind: ParamType, value: &str) -> Result<(), String> {
    let ok = match kind {
        ParamType::String => true,
        ParamType::Integer => value.parse::<i64>().is_ok(),
        ParamType::Duration => {
            crate::limits::duration(value, crate::limits::MAX_RUNBOOK_DURATION).is_ok()
        }
        ParamType::Bool => matches!(value, "true" | "false"),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{value}` is not a valid {}", wire_name(&kind)))
    }
}

/// The fields each kind needs, and the fields that only belong to actions.
#[allow(
    clippy::too_many_lines,
    reason = "one rule per step kind and field, each with its position"
)]
fn check_fields(_runbook: &Runbook, step: &Step, problems: &mut Vec<Diagnostic>) {
    let id = &step.id.value;
    let kind = step.kind.value;
    let mut need = |present: bool, field: &str, why: &str| {
        if !present {
            problems.push(at(
                &step.kind,
                format!("step `{id}`: {why} needs `{field}`"),
            ));
        }
    };
    match kind {
        StepKind::Check | StepKind::Wait => {
            need(
                step.check.is_some(),
                "check",
                &format!("a {} step", wire_name(&kind)),
            );
            if kind == StepKind::Wait {
                need(step.timeout.is_some(), "timeout", "a wait step");
            }
            if let Some(check) = &step.check {
                match check.value {
                    CheckName::WriterIn
                    | CheckName::HealthCheckHealthy
                    | CheckName::AlarmsQuiet
                    | CheckName::StacksComplete
                    | CheckName::ClusterAvailable
                    | CheckName::RegionServing
                    | CheckName::TrafficIn
                    | CheckName::ServingFrom => need(
                        step.region.is_some(),
                        "region",
                        &format!("check {}", wire_name(&check.value)),
                    ),
                    CheckName::LagBelow => need(step.max.is_some(), "max", "check lag_below"),
                    CheckName::WeightsEqual => {
                        need(step.weights.is_some(), "weights", "check weights_equal")
                    }
                    _ => {}
                }
            }
        }
        StepKind::Gate => need(step.prompt.is_some(), "prompt", "a gate step"),
        StepKind::Manual => need(step.instruction.is_some(), "instruction", "a manual step"),
        StepKind::Action => {
            need(step.action.is_some(), "action", "an action step");
            if let Some(action) = &step.action {
                match action.value {
                    ActionName::SetWeights => {
                        need(step.weights.is_some(), "weights", "set_weights")
                    }
                    ActionName::AuroraSwitchover | ActionName::AuroraFailover => {
                        need(step.target.is_some(), "target", "an Aurora promote")
                    }
                    ActionName::DeployStack => {
                        need(step.template.is_some(), "template", "deploy_stack");
                        need(step.stack.is_some(), "stack", "deploy_stack");
                        for (key, value) in step.parameters.iter().flatten() {
                            if let Err(why) = super::deploy::check_placeholders(value) {
                                problems.push(at(
                                    &step.id,
                                    format!("step `{id}`: parameter {key}: {why}"),
                                ));
                            }
                        }
                    }
                    ActionName::AlarmActions => {
                        need(step.region.is_some(), "region", "alarm_actions");
                        need(step.enabled.is_some(), "enabled", "alarm_actions");
                    }
                    ActionName::DataPlaneLever => {
                        need(step.enabled.is_some(), "enabled", "data_plane_lever");
                    }
                    ActionName::StartExecution => {}
                }
            }
        }
    }
    if kind != StepKind::Action
        && let Some(action) = &step.action
    {
        problems.push(at(
            action,
            format!(
                "step `{id}`: `action` belongs to action steps, not {} steps",
                wire_name(&kind)
            ),
        ));
    }
    if step.parameters.is_some() && !step.deploys() {
        problems.push(at(
            &step.id,
            format!("step `{id}`: `parameters` belong to deploy_stack steps"),
        ));
    }
    if let Some(weights) = &step.weights
        && u16::from(weights.primary) + u16::from(weights.secondary) == 0
    {
        problems.push(at(
            &step.id,
            format!("step `{id}`: weights 0/0 would send traffic nowhere"),
        ));
    }
}
