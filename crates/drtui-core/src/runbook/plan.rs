//! `drtui plan`: every step of a runbook with the exact API calls and parameters it would make
//! against a pair, and where it will stop for a person. No call is made and nothing locks.

use std::fmt::Write as _;

use super::spec::{ActionName, Mode, Runbook, Step, StepKind};
use crate::config::RegionPair;
use crate::model::Role;
use crate::ports::Mutation;
use crate::ports::ROUTE53_CONTROL_REGION;
use crate::wire::wire_name;

/// One step as it would run against the pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    /// The API calls, with parameters, in order.
    pub calls: Vec<String>,
    /// Conditions, stops and warnings an operator should read before starting.
    pub notes: Vec<String>,
    /// The region whose control plane the step needs, when it needs one.
    pub needs_region: Option<String>,
}

/// The ARN of a cluster; the account is only known once STS answers, at run time.
fn cluster_arn(pair: &RegionPair, role: Role) -> String {
    format!(
        "arn:aws:rds:{}:<account>:cluster:{}",
        pair.region(role),
        pair.cluster(role)
    )
}

/// One step as it would run against the pair.
#[allow(
    clippy::too_many_lines,
    reason = "one arm per action with its exact calls, read as a table"
)]
pub fn planned(pair: &RegionPair, step: &Step) -> PlannedStep {
    let mut calls = Vec::new();
    let mut notes = Vec::new();
    let mut needs_region = None;
    if let Some(when) = &step.when {
        notes.push(format!("runs only when {} holds", wire_name(&when.value)));
    }
    if let Some(unless) = &step.unless {
        notes.push(format!("skipped when {} holds", wire_name(&unless.value)));
    }
    match step.kind.value {
        StepKind::Check => notes.push(match &step.on_failure {
            Some(super::spec::OnFailure::Continue) => {
                "reads the live snapshot; a failure is recorded and the run goes on".to_owned()
            }
            _ => "reads the live snapshot; a failure stops the run before anything changes"
                .to_owned(),
        }),
        StepKind::Wait => notes.push(format!(
            "re-reads the live snapshot every {} for at most {}",
            step.interval
                .as_ref()
                .map_or("10s", |interval| interval.value.as_str()),
            step.timeout
                .as_ref()
                .map_or("?", |timeout| timeout.value.as_str())
        )),
        StepKind::Gate => notes.push(format!(
            "STOPS: the approver types `{}` in the TUI, or playback passes --approve {}",
            pair.name, step.id.value
        )),
        StepKind::Manual => notes.push(format!(
            "STOPS: the operator confirms, or playback passes --approve {}",
            step.id.value
        )),
        StepKind::Action => {}
    }
    if let Some(action) = &step.action {
        match action.value {
            ActionName::SetWeights => {
                let weights = step.weights.unwrap_or(super::spec::Weights {
                    primary: 0,
                    secondary: 0,
                });
                let set = |side: Role| {
                    pair.set_identifiers
                        .get(pair.region(side))
                        .cloned()
                        .unwrap_or_default()
                };
                calls.push(format!(
                    "route53:ChangeResourceRecordSets HostedZoneId={} Changes=[UPSERT {} SetIdentifier={} Weight={}, UPSERT {} SetIdentifier={} Weight={}]",
                    pair.hosted_zone_id,
                    pair.record_name,
                    set(Role::Primary),
                    weights.primary,
                    pair.record_name,
                    set(Role::Secondary),
                    weights.secondary
                ));
                calls.push("route53:GetChange Id=<change id> until Status=INSYNC".to_owned());
                needs_region = Some(ROUTE53_CONTROL_REGION.to_owned());
            }
            ActionName::AuroraSwitchover | ActionName::AuroraFailover => {
                let target = step.target.unwrap_or(Role::Secondary);
                let region = pair.region(target).to_owned();
                let (operation, extra) = if action.value == ActionName::AuroraSwitchover {
                    ("SwitchoverGlobalCluster", String::new())
                } else {
                    (
                        "FailoverGlobalCluster",
                        format!(" AllowDataLoss={}", step.allow_data_loss.unwrap_or(false)),
                    )
                };
                calls.push(format!(
                    "rds:{operation} (in {region}) GlobalClusterIdentifier={} TargetDbClusterIdentifier={}{extra}",
                    pair.global_cluster,
                    cluster_arn(pair, target)
                ));
                calls.push(format!(
                    "rds:DescribeGlobalClusters (in {region}) until the writer is {}",
                    pair.cluster(target)
                ));
                if step.loses_data() {
                    notes.push("DATA LOSS: writes not yet replicated are lost; the gate before it shows the replication lag".to_owned());
                }
                // A switchover needs both regions' control planes; a failover only the target's.
                needs_region = Some(if action.value == ActionName::AuroraSwitchover {
                    pair.region(target.other()).to_owned()
                } else {
                    region
                });
            }
            ActionName::StartExecution => {
                let arn = pair
                    .state_machine
                    .clone()
                    .unwrap_or_else(|| "<no state machine configured>".to_owned());
                calls.push(format!(
                    "states:StartExecution stateMachineArn={arn} name=<run id>-{}",
                    step.id.value
                ));
                calls.push("states:DescribeExecution until it ends (the same name on a retry never starts a second execution)".to_owned());
                needs_region = arn.split(':').nth(3).map(str::to_owned);
            }
            ActionName::DeployStack => {
                let role = super::deploy::side(step);
                let region = pair.region(role).to_owned();
                let template = step.template.clone().unwrap_or_default();
                match super::deploy::mutation(step, pair, "<run id>") {
                    Ok(Mutation::DeployStack {
                        stack,
                        parameters,
                        change_set,
                        ..
                    }) => {
                        let parameters: Vec<String> = parameters
                            .iter()
                            .map(|(key, value)| format!("{key}={value}"))
                            .collect();
                        calls.push(format!(
                            "cloudformation:CreateChangeSet (in {region}) StackName={stack} TemplateBody=assets/{template} ChangeSetName={change_set} Parameters=[{}]",
                            parameters.join(", ")
                        ));
                        calls.push(format!("cloudformation:DescribeChangeSet (in {region}) until computed: an empty change set ends the step (nothing to do)"));
                        calls.push(format!("cloudformation:ExecuteChangeSet (in {region}) StackName={stack}, then DescribeStackEvents until *_COMPLETE"));
                        notes.push("STOPS when the change set replaces or deletes a resource: the approver sees each change, or playback passes --approve with this step's id".to_owned());
                    }
                    Ok(_) => {}
                    Err(why) => notes.push(format!("this step fails: {why}")),
                }
                needs_region = Some(region);
            }
            ActionName::AlarmActions => {
                let region = pair.region(step.region.unwrap_or(Role::Primary)).to_owned();
                let operation = if step.enabled == Some(false) {
                    "DisableAlarmActions"
                } else {
                    "EnableAlarmActions"
                };
                calls.push(format!(
                    "cloudwatch:{operation} (in {region}) AlarmNames=<alarms named {}*>",
                    pair.alarm_prefix
                ));
                needs_region = Some(region);
            }
            ActionName::DataPlaneLever => {
                let region = pair.region(Role::Secondary).to_owned();
                let engaged = step.enabled != Some(false);
                match &pair.traffic_lever {
                    Some(lever) => {
                        calls.push(format!(
                            "cloudwatch:PutMetricData (in {region}) Namespace={} MetricName={} Dimensions=[Pair={}] Value={}",
                            lever.namespace,
                            lever.metric,
                            pair.name,
                            u8::from(engaged)
                        ));
                        calls.push(format!(
                            "cloudwatch:DescribeAlarms (in {region}) AlarmNames=[{}] until {}",
                            lever.alarm,
                            if engaged { "ALARM" } else { "OK" }
                        ));
                        notes.push(if engaged {
                            format!("DATA PLANE: the alarm fails the calculated health check on {}'s record; Route 53 answers with {region} without its control plane", pair.primary)
                        } else {
                            format!("DATA PLANE: {}'s record becomes eligible again", pair.primary)
                        });
                    }
                    None => notes.push(
                        "no traffic_lever configured for this pair: this step fails".to_owned(),
                    ),
                }
                needs_region = Some(region);
            }
        }
    }
    PlannedStep {
        id: step.id.value.clone(),
        title: step.title.clone(),
        kind: step.kind.value,
        calls,
        notes,
        needs_region,
    }
}

/// The plan of a runbook against a pair.
pub fn plan(runbook: &Runbook, pair: &RegionPair) -> Vec<PlannedStep> {
    runbook
        .steps
        .iter()
        .map(|step| planned(pair, step))
        .collect()
}

/// The plan as text. In ungraceful mode, every step that depends on the primary region's
/// control plane is called out now, not halfway through the run.
pub fn render(runbook: &Runbook, pair: &RegionPair, steps: &[PlannedStep]) -> String {
    let mut out = String::new();
    let gates: Vec<&str> = steps
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Gate | StepKind::Manual))
        .map(|step| step.id.as_str())
        .collect();
    let _ = writeln!(
        out,
        "Plan: {} on {} ({} -> {}), {} mode\n{}\nStops for a person at: {}\n",
        runbook.name.value,
        pair.name,
        pair.primary,
        pair.secondary,
        match runbook.mode {
            Mode::Graceful => "graceful",
            Mode::Ungraceful => "ungraceful",
        },
        runbook.description,
        if gates.is_empty() {
            "nothing".to_owned()
        } else {
            gates.join(", ")
        }
    );
    for (index, step) in steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>2}. [{}] {}: {}",
            index + 1,
            wire_name(&step.kind),
            step.id,
            step.title
        );
        for call in &step.calls {
            let _ = writeln!(out, "      call  {call}");
        }
        for note in &step.notes {
            let _ = writeln!(out, "      note  {note}");
        }
        if runbook.mode == Mode::Ungraceful
            && step.needs_region.as_deref() == Some(pair.primary.as_str())
        {
            let fallback = if step
                .calls
                .first()
                .is_some_and(|call| call.starts_with("route53:ChangeResourceRecordSets"))
            {
                "if it does not answer, this step fails and the data-plane lever step moves the traffic instead"
            } else {
                "if it does not answer, this step fails and the run stops there"
            };
            let _ = writeln!(
                out,
                "      WARN  needs the control plane of {} (the primary): {fallback}",
                pair.primary
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::catalog;

    #[test]
    fn failover_plan_names_the_exact_calls_and_every_stop() {
        let (_, runbook) = catalog::find("failover").expect("built-in");
        let pair = RegionPair::demo();
        let text = render(&runbook, &pair, &plan(&runbook, &pair));
        assert!(
            text.contains(
                "Stops for a person at: announce, confirm-primary-serving, approve-promote"
            ),
            "{text}"
        );
        assert!(text.contains(
            "rds:FailoverGlobalCluster (in us-east-2) GlobalClusterIdentifier=payment-global-demo \
             TargetDbClusterIdentifier=arn:aws:rds:us-east-2:<account>:cluster:payment-secondary-demo AllowDataLoss=true"
        ), "{text}");
        assert!(text.contains("DATA LOSS"), "{text}");
        assert!(text.contains(
            "route53:ChangeResourceRecordSets HostedZoneId=Z0DEMO00000000000001 Changes=[UPSERT api.payments-demo.example.com \
             SetIdentifier=primary Weight=0, UPSERT api.payments-demo.example.com SetIdentifier=secondary Weight=100]"
        ), "{text}");
        assert!(text.contains("states:StartExecution stateMachineArn=arn:aws:states:us-east-1:000000000000:stateMachine:PaymentDR-failover-demo name=<run id>-shift-traffic-sfn"), "{text}");
        // Ungraceful: Route 53's control plane is in us-east-1, the demo's primary.
        assert!(
            text.contains("WARN  needs the control plane of us-east-1 (the primary): if it does not answer, this step fails and the data-plane lever step moves the traffic instead"),
            "{text}"
        );
        assert!(
            text.contains("cloudwatch:PutMetricData (in us-east-2) Namespace=PaymentDR/Failover MetricName=PrimaryTrafficOff Dimensions=[Pair=demo] Value=1"),
            "{text}"
        );
    }
}
