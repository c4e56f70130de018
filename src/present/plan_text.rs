//! `drtui plan` as text: every step with its exact calls and notes, where it stops for a
//! person, and, in ungraceful mode, each step that needs the primary's control plane.

use std::fmt::Write as _;

use drtui_core::calls::Operation;
use drtui_core::config::RegionPair;
use drtui_core::permissions::Denial;
use drtui_core::runbook::plan::PlannedStep;
use drtui_core::runbook::spec::{Mode, StepKind};
use drtui_core::runbook::step::Runbook;
use drtui_core::wire::wire_name;
use drtui_engine::preflight::Preflight;

/// The plan as text. In ungraceful mode, every step that depends on the primary region's
/// control plane is called out now, not halfway through the run; with a permission
/// preflight, every call the caller may not make is marked `DENY` under it.
pub fn render(
    runbook: &Runbook,
    pair: &RegionPair,
    steps: &[PlannedStep],
    preflight: Option<&Preflight>,
) -> String {
    let mut out = String::new();
    let gates: Vec<&str> = steps
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Gate | StepKind::Manual))
        .map(|step| step.id.as_str())
        .collect();
    let _ = writeln!(
        out,
        "Plan: {} on {} ({} -> {}), {} mode\n{}\nStops for a person at: {}\n",
        runbook.name,
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
    let denied: &[Denial] = match preflight {
        Some(Preflight::Denied { denied, .. }) => denied,
        _ => &[],
    };
    if let Some(preflight) = preflight {
        let _ = writeln!(out, "{}\n", permissions_line(preflight, steps));
    }
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
            for denial in denied
                .iter()
                .filter(|denial| denial.action == call.operation.iam_action())
            {
                let _ = writeln!(out, "      DENY  {denial}");
            }
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
                .is_some_and(|call| call.operation == Operation::ChangeResourceRecordSets)
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

/// The preflight in one paragraph: allowed, unknown, or what is denied (reads the checks
/// make listed here, as no step shows them).
fn permissions_line(preflight: &Preflight, steps: &[PlannedStep]) -> String {
    match preflight {
        Preflight::Allowed { principal, asked } => {
            format!("Permissions: {principal} may make all {asked} calls this run needs")
        }
        Preflight::Unknown { reason } => {
            format!("Permissions: unknown ({reason}); a denied call would stop the run at its step")
        }
        Preflight::Denied { principal, denied } => {
            let in_steps = |denial: &Denial| {
                steps.iter().any(|step| {
                    step.calls
                        .iter()
                        .any(|call| call.operation.iam_action() == denial.action)
                })
            };
            let mut text = format!(
                "Permissions: {principal} is DENIED {} call(s) this run needs (marked DENY below): `drtui run` refuses before its first gate",
                denied.len()
            );
            for denial in denied.iter().filter(|denial| !in_steps(denial)) {
                let _ = write!(text, "\n      DENY  {denial} (read by the run's checks)");
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drtui_core::runbook::plan::plan;
    use drtui_engine::catalog;

    #[test]
    fn failover_plan_names_the_exact_calls_and_every_stop() {
        let (_, runbook) = catalog::find("failover").expect("built-in");
        let pair = RegionPair::demo();
        let text = render(&runbook, &pair, &plan(&runbook, &pair), None);
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

    /// A denied call is marked under the step that makes it, and a denied read (made by the
    /// run's checks, shown by no step) in the permissions paragraph.
    #[test]
    fn denied_calls_are_marked_where_they_are_made() {
        let (_, runbook) = catalog::find("failover").expect("built-in");
        let pair = RegionPair::demo();
        let denial = |action: &str, resource: &str| Denial {
            action: action.to_owned(),
            resource: resource.to_owned(),
            decision: "implicitDeny".to_owned(),
        };
        let preflight = Preflight::Denied {
            principal: "arn:aws:iam::1:user/junior".to_owned(),
            denied: vec![
                denial(
                    "rds:FailoverGlobalCluster",
                    "arn:aws:rds::1:global-cluster:payment-global-demo",
                ),
                denial("cloudformation:DescribeStacks", "*"),
            ],
        };
        let text = render(&runbook, &pair, &plan(&runbook, &pair), Some(&preflight));
        assert!(
            text.contains("Permissions: arn:aws:iam::1:user/junior is DENIED 2 call(s)"),
            "{text}"
        );
        assert!(
            text.contains("AllowDataLoss=true\n      DENY  rds:FailoverGlobalCluster on arn:aws:rds::1:global-cluster:payment-global-demo (implicitDeny)"),
            "{text}"
        );
        assert!(
            text.contains(
                "DENY  cloudformation:DescribeStacks on * (implicitDeny) (read by the run's checks)"
            ),
            "{text}"
        );
    }
}
