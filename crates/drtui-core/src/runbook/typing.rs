//! One step of a runbook file made into the typed [`Step`] that runs: each kind takes exactly
//! the fields it needs, and a field it lacks is a diagnostic at the step, never a default
//! invented later. The only defaults are the format's own, documented in the schema: a wait
//! re-checks every 10 s, an action may take 15 min (a state-machine execution 2 min), a deployment is about the primary, a
//! failover does not allow data loss unless it says so.

use std::time::Duration;

use serde_saphyr::Spanned;

use super::spec::{ActionName, CheckName, OnFailureSpec, RunbookFile, StepKind, StepSpec};
use super::step::{Action, Body, Check, Deploy, OnFailure, Step};
use super::validate::{Diagnostic, at, duration};
use crate::model::Role;
use crate::wire::wire_name;

/// How often a wait re-checks when the step does not say.
pub(crate) const DEFAULT_WAIT_INTERVAL: Duration = Duration::from_secs(10);
/// How long an action may take when the step does not say.
pub(crate) const DEFAULT_ACTION_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long a state-machine execution may take when the step does not say: the flip is
/// seconds of work, and one left running could move traffic behind the operator's back.
pub(crate) const DEFAULT_EXECUTION_TIMEOUT: Duration = Duration::from_secs(2 * 60);

/// Collects what a step lacks, each at the step's `kind`.
struct Needs<'a> {
    step: &'a StepSpec,
    problems: &'a mut Vec<Diagnostic>,
}

impl Needs<'_> {
    /// The field's value, or a diagnostic that `what` needs it.
    fn field<T: Clone>(&mut self, value: Option<&T>, field: &str, what: &str) -> Option<T> {
        if value.is_none() {
            self.problems.push(at(
                &self.step.kind,
                format!("step `{}`: {what} needs `{field}`", self.step.id.value),
            ));
        }
        value.cloned()
    }

    fn problem_at<T>(&mut self, place: &Spanned<T>, message: String) {
        self.problems.push(at(place, message));
    }
}

/// The typed step, or `None` with every reason in `problems`.
pub(crate) fn step(
    file: &RunbookFile,
    step: &StepSpec,
    problems: &mut Vec<Diagnostic>,
) -> Option<Step> {
    let mut needs = Needs { step, problems };
    let durations = Durations {
        timeout: duration_field(file, step.timeout.as_ref(), &mut needs),
        interval: duration_field(file, step.interval.as_ref(), &mut needs),
        max: duration_field(file, step.max.as_ref(), &mut needs),
    };
    misplaced_fields(step, &mut needs);
    let body = body(step, &durations, &mut needs);
    let mut condition = |name: &Option<Spanned<String>>, word: &str| match name {
        Some(name) => named::<CheckName>(name, &mut needs)
            .and_then(|name| check(name, step, &durations, &format!("{word}: "), &mut needs))
            .map(Some),
        None => Some(None),
    };
    let when = condition(&step.when, "when");
    let unless = condition(&step.unless, "unless");
    Some(Step {
        id: step.id.value.clone(),
        title: step.title.clone(),
        when: when?,
        unless: unless?,
        on_failure: match &step.on_failure {
            None | Some(OnFailureSpec::Stop) => OnFailure::Stop,
            Some(OnFailureSpec::Continue) => OnFailure::Continue,
            Some(OnFailureSpec::Rollback(targets)) => {
                OnFailure::Rollback(targets.iter().map(|target| target.value.clone()).collect())
            }
        },
        body: body?,
    })
}

/// A catalogue name (a check, an action) as the file spells it, or a diagnostic at it naming
/// the known ones: one wrong name never hides the file's other errors.
fn named<T: serde::de::DeserializeOwned>(field: &Spanned<String>, needs: &mut Needs) -> Option<T> {
    use serde::de::IntoDeserializer as _;
    let parsed: Result<T, serde::de::value::Error> =
        T::deserialize(field.value.as_str().into_deserializer());
    match parsed {
        Ok(name) => Some(name),
        Err(error) => {
            let id = needs.step.id.value.clone();
            needs.problem_at(field, format!("step `{id}`: {error}"));
            None
        }
    }
}

/// The step's duration fields: absent (`Ok(None)`), the value, or `Err` once reported.
struct Durations {
    timeout: Result<Option<Duration>, ()>,
    interval: Result<Option<Duration>, ()>,
    max: Result<Option<Duration>, ()>,
}

/// A duration field: absent (`Ok(None)`), its value, or `Err` once reported at the field.
fn duration_field(
    file: &RunbookFile,
    field: Option<&Spanned<String>>,
    needs: &mut Needs,
) -> Result<Option<Duration>, ()> {
    let Some(field) = field else { return Ok(None) };
    duration(file, &field.value).map(Some).map_err(|why| {
        needs.problem_at(field, why);
    })
}

fn body(step: &StepSpec, durations: &Durations, needs: &mut Needs) -> Option<Body> {
    let kind = step.kind.value;
    let kind_name = format!("a {} step", wire_name(&kind));
    match kind {
        StepKind::Check => {
            let name = needs
                .field(step.check.as_ref(), "check", &kind_name)
                .and_then(|name| named::<CheckName>(&name, needs));
            Some(Body::Check(check(name?, step, durations, "", needs)?))
        }
        StepKind::Wait => {
            let name = needs
                .field(step.check.as_ref(), "check", &kind_name)
                .and_then(|name| named::<CheckName>(&name, needs));
            let limit = needs.field(durations.timeout.ok()?.as_ref(), "timeout", "a wait step");
            Some(Body::Wait {
                check: check(name?, step, durations, "", needs)?,
                interval: durations.interval.ok()?.unwrap_or(DEFAULT_WAIT_INTERVAL),
                timeout: limit?,
            })
        }
        StepKind::Gate => Some(Body::Gate {
            prompt: needs.field(step.prompt.as_ref(), "prompt", "a gate step")?,
        }),
        StepKind::Manual => Some(Body::Manual {
            instruction: needs.field(step.instruction.as_ref(), "instruction", "a manual step")?,
        }),
        StepKind::Action => {
            let name = needs
                .field(step.action.as_ref(), "action", "an action step")
                .and_then(|name| named::<ActionName>(&name, needs));
            let action = action(name?, step, needs)?;
            let default = match action {
                Action::StartExecution => DEFAULT_EXECUTION_TIMEOUT,
                _ => DEFAULT_ACTION_TIMEOUT,
            };
            Some(Body::Action {
                action,
                timeout: durations.timeout.ok()?.unwrap_or(default),
            })
        }
    }
}

/// A named check with what it is about, from the step's fields (`region`, `max`, `weights`).
/// `prefix` says where the check stands when it is a condition (`when: `).
fn check(
    name: CheckName,
    step: &StepSpec,
    durations: &Durations,
    prefix: &str,
    needs: &mut Needs,
) -> Option<Check> {
    let what = format!("{prefix}check {}", wire_name(&name));
    let region = |needs: &mut Needs| needs.field(step.region.as_ref(), "region", &what);
    Some(match name {
        CheckName::SecondaryClusterAvailable => Check::SecondaryClusterAvailable,
        CheckName::ClusterAvailable => Check::ClusterAvailable(region(needs)?),
        CheckName::RegionServing => Check::RegionServing(region(needs)?),
        CheckName::EngineVersionsMatch => Check::EngineVersionsMatch,
        CheckName::SwitchoverPossible => Check::SwitchoverPossible,
        CheckName::TrafficIn => Check::TrafficIn(region(needs)?),
        CheckName::ServingFrom => Check::ServingFrom(region(needs)?),
        CheckName::WriterIn => Check::WriterIn(region(needs)?),
        CheckName::HealthCheckHealthy => Check::HealthCheckHealthy(region(needs)?),
        CheckName::AlarmsQuiet => Check::AlarmsQuiet(region(needs)?),
        CheckName::StacksComplete => Check::StacksComplete(region(needs)?),
        CheckName::LagBelow => {
            let max = durations.max.ok()?;
            Check::LagBelow(needs.field(
                max.as_ref(),
                "max",
                &format!("{prefix}check lag_below"),
            )?)
        }
        CheckName::WeightsEqual => Check::WeightsEqual(needs.field(
            step.weights.as_ref(),
            "weights",
            &format!("{prefix}check weights_equal"),
        )?),
        CheckName::PrimaryHealthy => Check::PrimaryHealthy,
        CheckName::DataFresh => Check::DataFresh,
        CheckName::StateMachinePresent => Check::StateMachinePresent,
        CheckName::StoresReplicateBack => Check::StoresReplicateBack,
        CheckName::NoFailoverInProgress => Check::NoFailoverInProgress,
        CheckName::EstateReady => Check::EstateReady,
    })
}

/// An action with exactly what it changes.
fn action(name: ActionName, step: &StepSpec, needs: &mut Needs) -> Option<Action> {
    Some(match name {
        ActionName::SetWeights => {
            Action::SetWeights(needs.field(step.weights.as_ref(), "weights", "set_weights")?)
        }
        ActionName::AuroraSwitchover => Action::AuroraSwitchover {
            target: needs.field(step.target.as_ref(), "target", "an Aurora promote")?,
        },
        ActionName::AuroraFailover => Action::AuroraFailover {
            target: needs.field(step.target.as_ref(), "target", "an Aurora promote")?,
            allow_data_loss: step.allow_data_loss.unwrap_or(false),
        },
        ActionName::StartExecution => Action::StartExecution,
        ActionName::DeployStack => Action::DeployStack(deploy(step, needs)?),
        ActionName::AlarmActions => {
            let role = needs.field(step.region.as_ref(), "region", "alarm_actions");
            let enabled = needs.field(step.enabled.as_ref(), "enabled", "alarm_actions");
            Action::AlarmActions {
                role: role?,
                enabled: enabled?,
            }
        }
        ActionName::DataPlaneLever => Action::DataPlaneLever {
            engaged: needs.field(step.enabled.as_ref(), "enabled", "data_plane_lever")?,
        },
    })
}

fn deploy(step: &StepSpec, needs: &mut Needs) -> Option<Deploy> {
    let template = needs.field(step.template.as_ref(), "template", "deploy_stack");
    let template_ok = match template.as_deref().map(super::deploy::asset_path) {
        Some(Err(why)) => {
            needs.problem_at(
                &step.id,
                format!("step `{}`: template {why}", step.id.value),
            );
            false
        }
        _ => true,
    };
    let stack = needs.field(step.stack.as_ref(), "stack", "deploy_stack");
    let parameters = step.parameters.clone().unwrap_or_default();
    let mut placeholders_ok = true;
    for (key, value) in &parameters {
        if let Err(why) = super::deploy::check_placeholders(value) {
            placeholders_ok = false;
            needs.problem_at(
                &step.id,
                format!("step `{}`: parameter {key}: {why}", step.id.value),
            );
        }
    }
    let deploy = Deploy {
        role: step.region.unwrap_or(Role::Primary),
        stack: stack?,
        template: template?,
        parameters,
    };
    (placeholders_ok && template_ok).then_some(deploy)
}

/// Fields that belong to another kind of step, and values no step may have.
fn misplaced_fields(step: &StepSpec, needs: &mut Needs) {
    let id = &step.id.value;
    let kind = step.kind.value;
    if kind != StepKind::Action
        && let Some(action) = &step.action
    {
        needs.problem_at(
            action,
            format!(
                "step `{id}`: `action` belongs to action steps, not {} steps",
                wire_name(&kind)
            ),
        );
    }
    if step.parameters.is_some() && !step.deploys() {
        needs.problem_at(
            &step.id,
            format!("step `{id}`: `parameters` belong to deploy_stack steps"),
        );
    }
    if let Some(weights) = &step.weights
        && u16::from(weights.primary) + u16::from(weights.secondary) == 0
    {
        needs.problem_at(
            &step.id,
            format!("step `{id}`: weights 0/0 would send traffic nowhere"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::spec::Weights;
    use crate::runbook::validate::load;

    const HEAD: &str = "name: t\ndescription: t\nparameters:\n  budget:\n    type: duration\n    default: 2s\n    description: d\n  bare:\n    type: duration\n    description: d\nsteps:\n";

    fn typed(steps: &str) -> Result<Vec<Step>, String> {
        load(&format!("{HEAD}{steps}"), "t.yaml")
            .map(|runbook| runbook.steps)
            .map_err(|error| error.to_string())
    }

    /// A wrong catalogue name does not stop the reading: every error of the file is reported,
    /// each at its place.
    #[test]
    fn a_wrong_name_never_hides_the_other_errors() {
        let error = typed(
            "  - id: a\n    title: a\n    kind: check\n    check: no_such_check\n  - id: b\n    title: b\n    kind: wait\n    check: writer_in\n  - id: g\n    title: g\n    kind: gate\n    prompt: go\n  - id: c\n    title: c\n    kind: action\n    action: no_such_action\n    when: nor_this\n",
        )
        .expect_err("invalid");
        for expected in [
            "step `a`: unknown variant `no_such_check`",
            "step `b`: a wait step needs `timeout`",
            "step `b`: check writer_in needs `region`",
            "step `c`: unknown variant `no_such_action`",
            "step `c`: unknown variant `nor_this`",
        ] {
            assert!(error.contains(expected), "{expected}: {error}");
        }
        assert!(error.contains("t.yaml:15:"), "each at its line: {error}");
    }

    /// A template outside assets/ is refused by `validate`, at the step, not only by the run
    /// after its gate was approved.
    #[test]
    fn a_template_outside_assets_is_refused_when_validated() {
        let deploy = |template: &str| {
            typed(&format!(
                "  - id: g\n    title: g\n    kind: gate\n    prompt: go\n  - id: d\n    title: d\n    kind: action\n    action: deploy_stack\n    stack: Vpc\n    template: {template}\n"
            ))
        };
        if let Err(error) = deploy("cfn/vpc.yaml") {
            panic!("{error}");
        }
        for outside in ["../../../etc/passwd", "/etc/passwd", "cfn/../../x.yaml"] {
            let error = deploy(outside).expect_err(outside);
            assert!(
                error.contains("t.yaml:") && error.contains("must be a path under assets/"),
                "{outside}: {error}"
            );
        }
    }

    #[test]
    fn durations_take_the_literal_the_parameters_default_or_the_formats_default() {
        let steps = typed(
            "  - id: w\n    title: w\n    kind: wait\n    check: lag_below\n    max: ${budget}\n    timeout: 90s\n",
        )
        .expect("valid");
        assert_eq!(
            steps[0].body,
            Body::Wait {
                check: Check::LagBelow(Duration::from_secs(2)),
                interval: DEFAULT_WAIT_INTERVAL,
                timeout: Duration::from_secs(90),
            }
        );
        let gate = "  - id: g\n    title: g\n    kind: gate\n    prompt: go\n";
        let steps = typed(&format!(
            "{gate}  - id: a\n    title: a\n    kind: action\n    action: set_weights\n    weights: {{ primary: 0, secondary: 100 }}\n"
        ))
        .expect("valid");
        assert_eq!(
            steps[1].body,
            Body::Action {
                action: Action::SetWeights(Weights {
                    primary: 0,
                    secondary: 100
                }),
                timeout: DEFAULT_ACTION_TIMEOUT,
            }
        );
    }

    #[test]
    fn a_value_that_would_fall_back_is_refused_instead() {
        for (steps, why) in [
            (
                "  - id: w\n    title: w\n    kind: wait\n    check: data_fresh\n    timeout: ${nope}\n",
                "unknown parameter `nope`",
            ),
            (
                "  - id: w\n    title: w\n    kind: wait\n    check: data_fresh\n    timeout: ${bare}\n",
                "parameter `bare` has no default",
            ),
            (
                "  - id: w\n    title: w\n    kind: wait\n    check: data_fresh\n",
                "a wait step needs `timeout`",
            ),
            (
                "  - id: c\n    title: c\n    kind: check\n    check: weights_equal\n",
                "check weights_equal needs `weights`",
            ),
            (
                "  - id: c\n    title: c\n    kind: check\n    check: lag_below\n",
                "check lag_below needs `max`",
            ),
            (
                "  - id: g\n    title: g\n    kind: gate\n    prompt: go\n    unless: alarms_quiet\n",
                "unless: check alarms_quiet needs `region`",
            ),
        ] {
            let said = typed(steps).expect_err(why);
            assert!(said.contains(why), "{why}: {said}");
        }
    }

    #[test]
    fn a_condition_takes_its_fields_from_the_step() {
        let steps = typed(
            "  - id: g\n    title: g\n    kind: gate\n    prompt: go\n  - id: a\n    title: a\n    kind: action\n    action: data_plane_lever\n    enabled: true\n    unless: weights_equal\n    weights: { primary: 0, secondary: 100 }\n",
        )
        .expect("valid");
        assert_eq!(
            steps[1].unless,
            Some(Check::WeightsEqual(Weights {
                primary: 0,
                secondary: 100
            }))
        );
        assert_eq!(
            steps[1].action(),
            Some(&Action::DataPlaneLever { engaged: true })
        );
    }
}
