//! The `demo` simulator: deterministic from a seed, and each fault shows up where an on-call
//! engineer would look for it.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use drtui_backend::sim::{Fault, FaultControl, SimBackend, SimOptions};
use drtui_core::clock::Clock;
use drtui_core::config::RegionPair;
use drtui_core::model::{AlarmState, Role, Snapshot, Source};
use drtui_core::readiness::{CheckId, CheckStatus, Runbook, Verdict};
use drtui_testkit::DemoEstate;

const TIMEOUT: Duration = Duration::from_millis(200);

fn estate(seed: u64, scenario: &[Fault]) -> DemoEstate {
    DemoEstate {
        timeout: TIMEOUT,
        ..DemoEstate::new(seed, scenario)
    }
}

fn alarm_state(snapshot: &Snapshot, role: Role, suffix: &str) -> AlarmState {
    let alarms = snapshot
        .region(role)
        .alarms
        .value
        .as_ref()
        .expect("alarms fetched");
    alarms
        .iter()
        .find(|alarm| alarm.name.ends_with(suffix))
        .map(|alarm| alarm.state.clone())
        .expect(suffix)
}

fn healthy_checks(snapshot: &Snapshot, role: Role) -> Vec<Option<bool>> {
    snapshot
        .health_checks_for(&snapshot.region(role).region)
        .map(|check| check.healthy)
        .collect()
}

fn lag_ms(snapshot: &Snapshot) -> f64 {
    snapshot
        .region(Role::Secondary)
        .metrics
        .value
        .as_ref()
        .and_then(|m| m.replication_lag_ms)
        .expect("lag")
}

#[tokio::test]
async fn same_seed_same_estate_different_seed_different_figures() {
    let (a, b, c) = (estate(7, &[]), estate(7, &[]), estate(8, &[]));
    for step in [1, 5, 30] {
        for estate in [&a, &b, &c] {
            estate.clock.advance(Duration::from_secs(step));
        }
        assert_eq!(a.backend.state(), b.backend.state());
        assert_eq!(a.observe().await.0, b.observe().await.0);
    }
    let figures = |snapshot: Snapshot| snapshot.region(Role::Primary).metrics.value.clone();
    assert_ne!(figures(a.observe().await.0), figures(c.observe().await.0));
}

#[tokio::test]
async fn healthy_estate_is_ready_for_a_switchover() {
    let estate = estate(42, &[]);
    let (snapshot, readiness) = estate.observe().await;
    assert!(snapshot.is_complete(estate.clock.now(), estate.pair.stale_after()));
    assert_eq!(readiness.verdict, Verdict::Ready, "{:#?}", readiness.checks);
    assert_eq!(readiness.recommended_runbook, Some(Runbook::Switchover));
    assert!(lag_ms(&snapshot) < 1_000.0);
    assert_eq!(snapshot.is_writer(Role::Primary), Some(true));
    assert_eq!(healthy_checks(&snapshot, Role::Primary), vec![Some(true)]);
    assert_eq!(
        alarm_state(&snapshot, Role::Primary, "rds-replication-lag"),
        AlarmState::InsufficientData
    );
    assert_eq!(
        alarm_state(&snapshot, Role::Secondary, "rds-replication-lag"),
        AlarmState::Ok
    );
    let weights = &snapshot.dns.value.as_ref().expect("dns").weights;
    assert_eq!(weights.get("us-east-1"), Some(&Some(100)));
    assert_eq!(weights.get("us-east-2"), Some(&Some(0)));
    let history = &snapshot
        .region(Role::Secondary)
        .metrics
        .value
        .as_ref()
        .expect("metrics")
        .history;
    assert_eq!(
        history.replication_lag_ms.len(),
        120,
        "ten minutes of history from the first frame"
    );
}

#[tokio::test]
async fn primary_outage_fails_health_stalls_replication_and_recommends_failover() {
    let estate = estate(42, &[Fault::PrimaryOutage]);
    let (snapshot, readiness) = estate.observe().await;
    assert_eq!(healthy_checks(&snapshot, Role::Primary), vec![Some(false)]);
    assert_eq!(healthy_checks(&snapshot, Role::Secondary), vec![Some(true)]);
    assert_eq!(
        alarm_state(&snapshot, Role::Primary, "api-5xx-rate"),
        AlarmState::Alarm
    );
    assert_eq!(
        alarm_state(&snapshot, Role::Primary, "lambda-error-rate"),
        AlarmState::Alarm
    );
    assert_eq!(
        alarm_state(&snapshot, Role::Secondary, "rds-replication-lag"),
        AlarmState::Alarm
    );
    assert_eq!(readiness.recommended_runbook, Some(Runbook::Failover));
    let risk = readiness.data_at_risk_ms.expect("lag known");
    assert!(risk > 10_000.0, "replication stalled for 5 minutes: {risk}");
    // Every store stalls: the data at risk is the worst of them, at least Aurora's lag.
    let lag = lag_ms(&snapshot);
    assert!(risk >= lag, "{risk} < Aurora's {lag}");
    for check in [CheckId::DynamodbReplication, CheckId::S3Replication] {
        assert_eq!(
            readiness.check(check).map(|check| check.status),
            Some(CheckStatus::Warn),
            "{check:?}"
        );
    }
    // The lag keeps growing while the primary is down.
    estate.clock.advance(Duration::from_secs(10));
    assert!(lag_ms(&estate.observe().await.0) >= lag + 9_000.0);
}

#[tokio::test]
async fn lag_spike_raises_lag_alarm_and_data_at_risk() {
    let estate = estate(42, &[Fault::LagSpike]);
    let (snapshot, readiness) = estate.observe().await;
    let lag = lag_ms(&snapshot);
    assert!((30_000.0..=45_000.0).contains(&lag), "{lag}");
    assert_eq!(
        alarm_state(&snapshot, Role::Secondary, "rds-replication-lag"),
        AlarmState::Alarm
    );
    assert_eq!(readiness.verdict, Verdict::Degraded);
    // The primary serves and a switchover would wait on 30-45 s of lag: no move.
    assert_eq!(readiness.recommended_runbook, None);
    assert!(
        readiness
            .recommendation
            .reason
            .contains("exceeds the RPO budget"),
        "{}",
        readiness.recommendation.reason
    );
    assert_eq!(readiness.data_at_risk_ms, Some(lag));
}

#[tokio::test]
async fn api_5xx_burst_alarms_without_failing_health_checks() {
    let estate = estate(42, &[Fault::Api5xxBurst]);
    let (snapshot, readiness) = estate.observe().await;
    let rate = snapshot
        .region(Role::Primary)
        .metrics
        .value
        .as_ref()
        .and_then(|m| m.api_5xx_rate_pct)
        .expect("rate");
    assert!((3.0..=6.0).contains(&rate), "{rate}");
    assert_eq!(
        alarm_state(&snapshot, Role::Primary, "api-5xx-rate"),
        AlarmState::Alarm
    );
    assert_eq!(
        alarm_state(&snapshot, Role::Secondary, "api-5xx-rate"),
        AlarmState::Ok
    );
    assert_eq!(healthy_checks(&snapshot, Role::Primary), vec![Some(true)]);
    // Serving errors above the alarm's 1 % is impaired, whatever the health checks say; but
    // its database answers and replicates, so the lossless move is the one recommended.
    assert_eq!(readiness.recommended_runbook, Some(Runbook::Switchover));
    assert!(
        readiness.recommendation.reason.contains("API 5XX")
            && readiness
                .recommendation
                .reason
                .contains("a switchover loses nothing"),
        "{}",
        readiness.recommendation.reason
    );
}

#[tokio::test]
async fn degraded_secondary_cannot_take_traffic() {
    let estate = estate(42, &[Fault::SecondaryDegraded]);
    let (snapshot, readiness) = estate.observe().await;
    assert_eq!(
        healthy_checks(&snapshot, Role::Secondary),
        vec![Some(false)]
    );
    assert_eq!(
        alarm_state(&snapshot, Role::Secondary, "db-connections"),
        AlarmState::Alarm
    );
    assert_eq!(readiness.verdict, Verdict::NotReady);
    assert_eq!(readiness.recommended_runbook, None);
}

#[tokio::test]
async fn throttled_control_plane_fails_some_control_calls_but_never_metrics() {
    let estate = estate(42, &[Fault::ThrottledControlPlane]);
    let mut throttled = std::collections::BTreeSet::new();
    for _ in 0..10 {
        estate.clock.advance(Duration::from_secs(1));
        let (snapshot, _) = estate.observe().await;
        for (source, error) in snapshot.errors() {
            assert!(
                error.message().starts_with("ThrottlingException"),
                "{}",
                error.message()
            );
            assert!(
                !matches!(source, Source::Metrics(_) | Source::Alarms(_)),
                "{source:?}"
            );
            throttled.insert(source);
        }
    }
    assert!(
        throttled.len() >= 4,
        "only {throttled:?} were throttled in 10 polls"
    );
}

/// The writer is read from whichever region answers: a hung secondary costs the global
/// cluster nothing (the primary is asked too), and it is unknown only when neither answers.
#[tokio::test]
async fn the_writer_is_known_while_either_region_answers() {
    use drtui_core::ports::StatusBackend;
    let count = |estate: &DemoEstate| estate.backend.call_counts()["rds"]["DescribeGlobalClusters"];
    let estate = estate(42, &[Fault::HungRegion(Role::Secondary)]);
    let (snapshot, _) = estate.observe().await;
    let now = estate.clock.now();
    let writer = snapshot
        .global_cluster
        .usable(now, estate.pair.stale_after())
        .and_then(|global| global.writer_region());
    assert_eq!(
        writer,
        Some("us-east-1"),
        "{:?}",
        snapshot.global_cluster.error
    );
    assert_eq!(
        count(&estate),
        2,
        "asked of the secondary, then of the primary"
    );
    let healthy = self::estate(42, &[]);
    let _ = healthy.observe().await;
    assert_eq!(count(&healthy), 1, "one region answers: one call");
    let both = self::estate(
        42,
        &[
            Fault::HungRegion(Role::Secondary),
            Fault::HungRegion(Role::Primary),
        ],
    );
    let fetched = tokio::time::timeout(TIMEOUT, both.backend.fetch(Source::GlobalCluster)).await;
    assert!(fetched.is_err(), "neither region answers: {fetched:?}");
}

#[tokio::test]
async fn hung_region_costs_one_timeout_and_leaves_the_other_region_intact() {
    let estate = estate(42, &[Fault::HungRegion(Role::Primary)]);
    let began = Instant::now();
    let (snapshot, readiness) = estate.observe().await;
    assert!(
        began.elapsed() < TIMEOUT * 3,
        "poll took {:?}",
        began.elapsed()
    );
    let now = estate.clock.now();
    assert!(!snapshot.is_complete(now, estate.pair.stale_after()));
    for source in [
        Source::Aurora(Role::Primary),
        Source::Metrics(Role::Primary),
        Source::Dns,
        Source::HealthChecks,
    ] {
        let error = snapshot.meta(source).error.expect("timed out");
        assert!(
            error.message().starts_with("timed out after"),
            "{source:?}: {}",
            error.message()
        );
    }
    for source in [
        Source::Aurora(Role::Secondary),
        Source::Metrics(Role::Secondary),
        Source::GlobalCluster,
    ] {
        assert!(snapshot.meta(source).error.is_none(), "{source:?}");
    }
    // The primary does not answer: a planned switchover is off the table, and silence is not
    // evidence of failure either, so nothing is recommended; the reason says why.
    assert_eq!(readiness.recommended_runbook, None);
    assert!(!readiness.primary_healthy());
    assert!(
        readiness
            .recommendation
            .reason
            .contains("us-east-1 is unobservable"),
        "{}",
        readiness.recommendation.reason
    );
}

#[tokio::test]
async fn faults_injected_at_runtime_take_three_health_checks_to_show() {
    let estate = estate(42, &[]);
    estate.backend.set_fault(Fault::PrimaryOutage, true);
    estate.clock.advance(Duration::from_secs(10));
    let (early, _) = estate.observe().await;
    assert_eq!(
        healthy_checks(&early, Role::Primary),
        vec![Some(true)],
        "one failed probe per checker is not enough"
    );
    estate.clock.advance(Duration::from_secs(30));
    let (late, readiness) = estate.observe().await;
    assert_eq!(healthy_checks(&late, Role::Primary), vec![Some(false)]);
    assert_eq!(readiness.recommended_runbook, Some(Runbook::Failover));
    estate.backend.set_fault(Fault::PrimaryOutage, false);
    estate.clock.advance(Duration::from_secs(60));
    let (recovered, _) = estate.observe().await;
    assert_eq!(healthy_checks(&recovered, Role::Primary), vec![Some(true)]);
}

#[tokio::test]
async fn pollers_keep_streaming_the_healthy_region_while_the_other_hangs() {
    let pair = RegionPair::demo();
    let clock: Arc<dyn Clock> = Arc::new(drtui_engine::clock::SystemClock);
    let options = SimOptions {
        scenario: vec![Fault::HungRegion(Role::Primary)],
        latency: false,
        ..SimOptions::default()
    };
    let backend = Arc::new(SimBackend::new(&pair, clock.clone(), &options));
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let cancel = tokio_util::sync::CancellationToken::new();
    drtui_engine::poll::spawn_pollers(
        backend,
        clock,
        drtui_engine::poll::Cadence {
            poll: Duration::from_millis(50),
            metrics: Duration::from_millis(50),
            replicas: Duration::from_millis(50),
            parity: Duration::from_millis(50),
        },
        Duration::from_secs(5),
        tx,
        cancel.clone(),
    );
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(400);
    while let Ok(Some(update)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        seen.push(update.source);
    }
    cancel.cancel();
    let secondary_metrics = seen
        .iter()
        .filter(|source| **source == Source::Metrics(Role::Secondary))
        .count();
    assert!(
        secondary_metrics >= 3,
        "secondary metrics polled {secondary_metrics} times: {seen:?}"
    );
    assert!(
        !seen.contains(&Source::Metrics(Role::Primary)),
        "the hung primary cannot have answered yet"
    );
}

/// The regression guard for cost (not a timed test): over ten simulated minutes of an open
/// dashboard at the default cadence (poll 5 s, metrics 60 s), the free control-plane sources
/// are read every poll but `GetMetricData` once a minute per region, so the billed metrics are
/// a twelfth of polling them every 5 s.
#[tokio::test(start_paused = true)]
async fn metrics_are_fetched_once_a_minute_and_the_rest_every_poll() {
    let estate = DemoEstate::new(42, &[]);
    let backend: Arc<dyn drtui_core::ports::StatusBackend> = Arc::new(estate.backend);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let cancel = tokio_util::sync::CancellationToken::new();
    drtui_engine::poll::spawn_pollers(
        std::sync::Arc::clone(&backend),
        estate.clock.clone(),
        drtui_engine::poll::Cadence {
            poll: Duration::from_secs(5),
            metrics: Duration::from_secs(60),
            replicas: Duration::from_secs(300),
            parity: Duration::from_secs(600),
        },
        Duration::from_secs(3),
        tx,
        cancel.clone(),
    );
    // Ten minutes and a little (the first metrics tick waits for the boundary plus 5 s).
    tokio::time::sleep(Duration::from_secs(606)).await;
    cancel.cancel();
    while rx.try_recv().is_ok() {}
    let calls = backend.call_counts();
    let count = |service: &str, operation: &str| calls[service][operation];
    // Initial fetch + one per minute, per region.
    assert_eq!(count("cloudwatch", "GetMetricData"), 2 * (1 + 10));
    // Initial fetch + one per 5 s poll.
    assert_eq!(count("rds", "DescribeGlobalClusters"), 1 + 121);
    assert_eq!(count("cloudwatch", "DescribeAlarms"), 2 * (1 + 121));
}
