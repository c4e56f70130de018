//! Parity and permissions on the demo: each fault changes its check and the verdict
//! (`code-drift`, `secondary-headless`, `operator-cannot-failover`), and an operator who may not
//! promote is refused before the first gate of a failover (exit 2, nothing journalled) while a
//! switchover, which never promotes with data loss, still runs; `plan` marks the denied call.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failed expectation is the test failing"
)]

use drtui_core::fault::Fault;
use drtui_core::readiness::{CheckId, CheckStatus, Verdict};
use drtui_testkit::DemoEstate;

#[path = "support/run_binary.rs"]
mod run_binary;
use run_binary::drtui;

fn check(readiness: &drtui_core::readiness::Readiness, id: CheckId) -> (CheckStatus, String) {
    let check = readiness.check(id).expect("check");
    (check.status, check.detail.clone())
}

#[tokio::test]
async fn an_older_build_in_the_secondary_degrades_naming_the_function() {
    let (_, readiness) = DemoEstate::observed_under(&[Fault::CodeDrift])
        .observe()
        .await;
    assert_eq!(readiness.verdict, Verdict::Degraded);
    let (status, detail) = check(&readiness, CheckId::CodeParity);
    assert_eq!(status, CheckStatus::Warn);
    assert!(
        detail.starts_with(
            "transaction-processing-secondary-demo differs from transaction-processing-primary-demo in code (CodeSha256 "
        ),
        "{detail}"
    );
    assert_eq!(
        check(&readiness, CheckId::CapacityParity).0,
        CheckStatus::Pass
    );
}

#[tokio::test]
async fn a_headless_secondary_is_not_ready() {
    let (_, readiness) = DemoEstate::observed_under(&[Fault::SecondaryHeadless])
        .observe()
        .await;
    assert_eq!(readiness.verdict, Verdict::NotReady);
    let (status, detail) = check(&readiness, CheckId::CapacityParity);
    assert_eq!(status, CheckStatus::Fail);
    assert_eq!(
        detail,
        "the cluster in us-east-2 has no instance: a promoted writer would have nothing to serve it"
    );
}

#[tokio::test]
async fn an_operator_who_may_not_promote_is_not_ready_to_fail_over() {
    let (_, readiness) = DemoEstate::observed_under(&[Fault::OperatorCannotFailover])
        .observe()
        .await;
    assert_eq!(readiness.verdict, Verdict::NotReady);
    let (status, detail) = check(&readiness, CheckId::OperatorPermissions);
    assert_eq!(status, CheckStatus::Fail);
    assert!(
        detail.starts_with("arn:aws:iam::000000000000:user/demo-operator is denied rds:FailoverGlobalCluster on arn:aws:rds::000000000000:global-cluster:payment-global-demo (implicitDeny)"),
        "{detail}"
    );
}

#[test]
fn a_failover_is_refused_before_its_first_gate_and_a_switchover_still_runs() {
    let state = tempfile::tempdir().expect("state");
    let failover = drtui(
        state.path(),
        &[
            "run",
            "failover",
            "--approve-all",
            "--scenario",
            "operator-cannot-failover",
        ],
    )
    .output()
    .expect("drtui runs");
    let stderr = String::from_utf8_lossy(&failover.stderr);
    assert_eq!(failover.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("drtui: permission preflight: arn:aws:iam::000000000000:user/demo-operator may not make 3 call(s) runbook `failover` needs on this pair:\n  rds:FailoverGlobalCluster on arn:aws:rds::000000000000:global-cluster:payment-global-demo (implicitDeny)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "The policy that allows them: drtui iam policy --region-pair demo --role operator"
        ),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&failover.stdout), "", "no step ran");
    let runs = drtui(state.path(), &["runs", "list"])
        .output()
        .expect("runs");
    assert!(runs.status.success());
    assert!(
        !String::from_utf8_lossy(&runs.stdout).contains("failover-"),
        "nothing journalled: {}",
        String::from_utf8_lossy(&runs.stdout)
    );

    let switchover = drtui(
        state.path(),
        &[
            "run",
            "switchover",
            "--approve-all",
            "--scenario",
            "operator-cannot-failover",
        ],
    )
    .output()
    .expect("drtui runs");
    let stdout = String::from_utf8_lossy(&switchover.stdout);
    assert_eq!(
        switchover.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&switchover.stderr)
    );
    assert!(
        stdout.contains(
            "permission preflight: arn:aws:iam::000000000000:user/demo-operator may make the"
        ),
        "the allowed preflight is journalled: {stdout}"
    );
}

#[test]
fn plan_marks_the_denied_promote() {
    let state = tempfile::tempdir().expect("state");
    let plan = drtui(
        state.path(),
        &[
            "plan",
            "failover",
            "--region-pair",
            "demo",
            "--scenario",
            "operator-cannot-failover",
        ],
    )
    .output()
    .expect("drtui runs");
    let text = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(plan.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Permissions: arn:aws:iam::000000000000:user/demo-operator is DENIED 3 call(s) this run needs"),
        "{text}"
    );
    assert!(
        text.contains("      DENY  rds:FailoverGlobalCluster on arn:aws:rds::000000000000:global-cluster:payment-global-demo (implicitDeny)"),
        "{text}"
    );
    let clean = drtui(state.path(), &["plan", "failover", "--region-pair", "demo"])
        .output()
        .expect("drtui runs");
    assert!(
        String::from_utf8_lossy(&clean.stdout)
            .contains("Permissions: arn:aws:iam::000000000000:user/demo-operator may make all"),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
}
