//! Loading and checking runbooks: every problem with file:line:column and what was expected,
//! all of them at once, so an author fixes a file in one pass.

use crate::wire::wire_name;
use std::collections::BTreeSet;
use std::fmt;

use serde_saphyr::Spanned;

use super::spec::{ActionName, OnFailureSpec, ParamType, RunbookFile, StepKind, StepSpec};
use super::step::{Runbook, Step};

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

/// Parses and validates a runbook file's text into the runbook that runs.
pub fn load(text: &str, file: &str) -> Result<Runbook, RunbookError> {
    let parsed = parse(text, file)?;
    typed(&parsed).map_err(|diagnostics| RunbookError {
        file: file.to_owned(),
        diagnostics,
    })
}

/// The file as YAML, or where and why it is not a runbook file.
fn parse(text: &str, file: &str) -> Result<RunbookFile, RunbookError> {
    serde_saphyr::from_str(text).map_err(|error| {
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
    })
}

/// The typed runbook, or everything wrong with the file, in file order: each step becomes
/// exactly what its kind needs, or says what it lacks.
pub(crate) fn typed(file: &RunbookFile) -> Result<Runbook, Vec<Diagnostic>> {
    let mut problems = runbook_rules(file);
    let steps: Vec<Option<Step>> = file
        .steps
        .iter()
        .map(|step| super::typing::step(file, step, &mut problems))
        .collect();
    if !problems.is_empty() {
        problems.sort_by_key(|problem| (problem.line, problem.column));
        return Err(problems);
    }
    Ok(Runbook {
        name: file.name.value.clone(),
        description: file.description.clone(),
        mode: file.mode,
        steps: steps.into_iter().flatten().collect(),
        source: None,
    })
}

/// The rules about the runbook as a whole: a name, steps, parameter defaults, unique ids,
/// rollbacks that name steps, a gate before every change.
fn runbook_rules(file: &RunbookFile) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    if file.name.value.trim().is_empty() {
        problems.push(at(&file.name, "the runbook needs a name"));
    }
    if file.steps.is_empty() {
        problems.push(at(&file.name, "the runbook has no steps"));
    }
    for (name, parameter) in &file.parameters {
        if let Some(default) = &parameter.default
            && let Err(why) = check_value(parameter.kind, &default.value)
        {
            problems.push(at(default, format!("default of parameter `{name}`: {why}")));
        }
    }
    id_rules(file, &mut problems);
    gate_rules(file, &mut problems);
    problems
}

/// Ids: unique, lowercase words; a rollback names another step.
fn id_rules(file: &RunbookFile, problems: &mut Vec<Diagnostic>) {
    let ids: BTreeSet<&str> = file
        .steps
        .iter()
        .map(|step| step.id.value.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    for step in &file.steps {
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
        if let Some(OnFailureSpec::Rollback(targets)) = &step.on_failure {
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
    }
}

/// Nothing changes the estate without a gate before it, and a step that may lose data has a
/// gate of its own after the previous action.
fn gate_rules(file: &RunbookFile, problems: &mut Vec<Diagnostic>) {
    let mut last_gate: Option<usize> = None;
    let mut last_mutation: Option<usize> = None;
    for (index, step) in file.steps.iter().enumerate() {
        let id = step.id.value.as_str();
        match step.kind.value {
            StepKind::Gate => last_gate = Some(index),
            StepKind::Action => {
                if last_gate.is_none() {
                    problems.push(at(
                        &step.id,
                        format!("step `{id}` changes the estate but no gate comes before it"),
                    ));
                } else if loses_data(step)
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
}

/// An unplanned promote that allows losing data, as the file says it.
fn loses_data(step: &StepSpec) -> bool {
    step.is_action(ActionName::AuroraFailover) && step.allow_data_loss == Some(true)
}

/// A duration field: `${name}` resolves to a declared duration parameter's default; anything
/// else must be a humantime duration.
pub(crate) fn duration(file: &RunbookFile, value: &str) -> Result<std::time::Duration, String> {
    let limit = crate::limits::MAX_RUNBOOK_DURATION;
    if let Some(name) = value
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
    {
        return match file.parameters.get(name) {
            Some(parameter) if parameter.kind != ParamType::Duration => {
                Err(format!("parameter `{name}` is not a duration"))
            }
            Some(parameter) => match &parameter.default {
                Some(default) => crate::limits::duration(&default.value, limit)
                    .map_err(|_| format!("parameter `{name}` has no valid default")),
                None => Err(format!(
                    "parameter `{name}` has no default (drtui takes no parameter values: give it one)"
                )),
            },
            None => Err(format!(
                "unknown parameter `{name}` (declare it under `parameters`)"
            )),
        };
    }
    crate::limits::duration(value, limit).map_err(|message| format!("{message}, or \"${{param}}\""))
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

/// A diagnostic at a field's position.
pub(crate) fn at<T>(spanned: &Spanned<T>, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        line: spanned.referenced.line(),
        column: spanned.referenced.column(),
        message: message.into(),
    }
}
