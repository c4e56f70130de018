//! Runbooks on the moto emulator: switchover and failover make exactly the planned calls and
//! leave the writer and the traffic in the secondary, a deployment from assets, a failback fed
//! by the old primary's lag, a skipped state machine covered, and one lock shared in DynamoDB.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use drtui_backend::aws::{AwsBackend, ClientPool, Clients, Overrides};
use drtui_core::clock::Clock;
use drtui_core::model::{Role, Source, SourceData};
use drtui_core::ports::StatusBackend;
use drtui_engine::clock::SystemClock;
use support::emulated::{InProcess, in_process, status_json, write_config};
use support::{moto, pair_config};

/// An in-process backend on a freshly seeded estate, with a state dir for run journals.
struct Emulated {
    run: InProcess,
    state: std::path::PathBuf,
}

fn emulated(suffix: &str, seed_options: &[&str], state_machine: bool) -> Emulated {
    let moto = moto();
    let seeded = moto.seed_with(suffix, seed_options);
    let text = pair_config(suffix, &seeded, &format!("\"{}\"", moto.url), true, "3s")
        .lines()
        .filter(|line| state_machine || !line.starts_with("state_machine"))
        .collect::<Vec<_>>()
        .join("\n");
    let (dir, config) = write_config(&text);
    let catalog_pairs =
        drtui_engine::config_file::load_catalog(Some(std::path::Path::new(&config)))
            .expect("config");
    let pair = catalog_pairs.get(suffix).expect("pair").clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let overrides = Overrides {
        static_credentials: Some(("testing".into(), "testing".into())),
        ..Overrides::default()
    };
    let backend = AwsBackend::new(
        &pair,
        runtime.block_on(Clients::load(&pair, &overrides, &ClientPool::default())),
        Arc::new(SystemClock),
    );
    let state = dir.path().join("state");
    Emulated {
        run: InProcess {
            _dir: dir,
            pair,
            runtime,
            backend,
        },
        state,
    }
}

/// Plays (or resumes) a built-in runbook on the emulated estate; returns how it ended, its
/// run id and its journal records.
fn play_on(
    emulated: &Emulated,
    runbook: &str,
    approvals: drtui_engine::engine::Approvals,
    resume: Option<&drtui_engine::playback::Resumable>,
) -> (
    drtui_engine::engine::Outcome,
    String,
    Vec<drtui_core::runbook::journal::Record>,
) {
    let (_, runbook, hash) = drtui_engine::catalog::find_with_hash(runbook).expect("runbook");
    play_runbook(emulated, &runbook, hash, approvals, resume)
}

/// Plays (or resumes) a typed runbook on the emulated estate.
fn play_runbook(
    emulated: &Emulated,
    runbook: &drtui_core::runbook::step::Runbook,
    hash: String,
    approvals: drtui_engine::engine::Approvals,
    resume: Option<&drtui_engine::playback::Resumable>,
) -> (
    drtui_engine::engine::Outcome,
    String,
    Vec<drtui_core::runbook::journal::Record>,
) {
    use drtui_engine::engine::Engine;
    use drtui_engine::playback::Playback;
    let run = &emulated.run;
    let player = Playback {
        engine: Engine {
            pair: &run.pair,
            runbook,
            status: &run.backend,
            act: &run.backend,
            clock: &SystemClock,
            operator: "arn:aws:sts::123456789012:user/moto".into(),
            approvals,
            read_only: false,
            gatekeeper: None,
            pause: None,
        },
        runbook_hash: hash,
        state: emulated.state.clone(),
        remote_lock: None,
        hold: None,
    };
    let mut records = Vec::new();
    let (run_id, outcome) = run
        .runtime
        .block_on(player.play(resume, &mut |record| records.push(record.clone())))
        .expect("played");
    (outcome, run_id, records)
}

fn approve_all() -> drtui_engine::engine::Approvals {
    drtui_engine::engine::Approvals {
        all: true,
        ids: Default::default(),
    }
}

/// The mutating calls the backend made, one entry per call.
fn mutating_calls(backend: &AwsBackend) -> Vec<String> {
    backend
        .call_counts()
        .iter()
        .flat_map(|(service, operations)| {
            operations
                .iter()
                .map(move |(operation, count)| (format!("{service}:{operation}"), *count))
        })
        .filter(|(call, _)| MUTATING.contains(&call.as_str()))
        .flat_map(|(call, count)| std::iter::repeat_n(call, count as usize))
        .collect()
}

/// Runs a built-in runbook in-process against the emulator (a healthy estate, no state
/// machine: moto does not run Lambda tasks, so traffic moves by set_weights); returns the
/// outcome, the mutating calls `plan` listed and those the backend made.
fn run_on_emulator(
    suffix: &str,
    runbook: &str,
) -> (
    drtui_engine::engine::Outcome,
    Vec<String>,
    Vec<String>,
    InProcess,
) {
    let emulated = emulated(suffix, &["healthy-secondary", "healthy-primary"], false);
    let (_, spec, _) = drtui_engine::catalog::find_with_hash(runbook).expect("runbook");
    let planned: Vec<String> = drtui_core::runbook::plan::plan(&spec, &emulated.run.pair)
        .iter()
        .flat_map(|step| step.calls.iter())
        .map(|call| call.operation.to_string().replace("states:", "sfn:"))
        .filter(|call| MUTATING.contains(&call.as_str()))
        .collect();
    let (outcome, _, _) = play_on(&emulated, runbook, approve_all(), None);
    let made = mutating_calls(&emulated.run.backend);
    (outcome, planned, made, emulated.run)
}

const MUTATING: [&str; 7] = [
    "route53:ChangeResourceRecordSets",
    "cloudwatch:PutMetricData",
    "rds:SwitchoverGlobalCluster",
    "rds:FailoverGlobalCluster",
    "sfn:StartExecution",
    "cloudwatch:EnableAlarmActions",
    "cloudwatch:DisableAlarmActions",
];

fn sorted(mut calls: Vec<String>) -> Vec<String> {
    calls.sort();
    calls
}

#[test]
fn switchover_on_the_emulator_moves_writer_and_weights_with_exactly_the_planned_calls() {
    let (outcome, planned, made, run) = run_on_emulator("rs", "switchover");
    assert_eq!(outcome, drtui_engine::engine::Outcome::Completed);
    // The rollback-only restore step is planned but never runs on success.
    let mut expected = planned.clone();
    expected.retain(|call| call != "route53:ChangeResourceRecordSets");
    expected.push("route53:ChangeResourceRecordSets".to_owned());
    assert_eq!(sorted(made), sorted(expected), "plan listed {planned:?}");
    assert_writer_and_traffic_in_the_secondary(run);
}

#[test]
fn failover_on_the_emulator_promotes_the_secondary_and_moves_traffic() {
    let (outcome, planned, made, run) = run_on_emulator("rf2", "failover");
    assert_eq!(outcome, drtui_engine::engine::Outcome::Completed);
    // Without a state machine the start_execution step is skipped; everything else as planned.
    let expected: Vec<String> = planned
        .into_iter()
        .filter(|call| call != "sfn:StartExecution")
        .collect();
    assert_eq!(sorted(made), sorted(expected));
    assert_writer_and_traffic_in_the_secondary(run);
}

/// The estate after a completed switchover or failover, read back from the emulator.
fn assert_writer_and_traffic_in_the_secondary(run: InProcess) {
    let InProcess {
        runtime, backend, ..
    } = run;
    match runtime.block_on(backend.fetch(Source::GlobalCluster)) {
        Ok(SourceData::GlobalCluster(global)) => {
            assert_eq!(global.writer_region(), Some("us-east-2"))
        }
        other => panic!("{other:?}"),
    }
    match runtime.block_on(backend.fetch(Source::Dns)) {
        Ok(SourceData::Dns(dns)) => assert_eq!(
            (dns.weights["us-east-1"], dns.weights["us-east-2"]),
            (Some(0), Some(100))
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deploy_stack_creates_the_stack_from_assets_and_waits_for_it() {
    use drtui_core::ports::{ActBackend, Mutation};
    let InProcess {
        runtime, backend, ..
    } = in_process("ds");
    let mutation = Mutation::DeployStack {
        role: Role::Secondary,
        stack: "drtui-drill-marker-ds".to_owned(),
        template: "drill-marker.yaml".to_owned(),
        parameters: std::collections::BTreeMap::new(),
        change_set: "drtui-test-ds".to_owned(),
    };
    let preview = runtime
        .block_on(backend.preview(&mutation))
        .expect("previewed")
        .expect("a deployment has a preview");
    assert!(
        !preview.exists && !preview.changes.is_empty(),
        "{preview:?}"
    );
    let outcome = runtime.block_on(backend.act(&mutation)).expect("deployed");
    assert!(outcome.changed, "{outcome:?}");
    assert!(outcome.detail.contains("CREATE_COMPLETE"), "{outcome:?}");
    let counts = backend.call_counts();
    assert_eq!(counts["cloudformation"]["CreateChangeSet"], 1);
    assert_eq!(counts["cloudformation"]["ExecuteChangeSet"], 1);
    let again = runtime
        .block_on(backend.preview(&mutation))
        .expect("previewed")
        .expect("a deployment has a preview");
    assert!(again.exists && again.changes.is_empty(), "{again:?}");
    let missing = runtime.block_on(backend.act(&Mutation::DeployStack {
        role: Role::Secondary,
        stack: "x".to_owned(),
        template: "../etc/passwd".to_owned(),
        parameters: std::collections::BTreeMap::new(),
        change_set: "drtui-test-x".to_owned(),
    }));
    assert!(
        missing
            .expect_err("refused")
            .to_string()
            .contains("must be a path under assets/")
    );
}

/// The lossless path when it exists: the primary answers 2 % of its API calls with 5XX (the
/// default seed; alarm at 1 %) while both clusters are available and replicate. `status`
/// recommends a switchover, and the switchover completes with no data-loss call.
#[test]
fn a_primary_with_2_percent_5xx_is_switched_over_without_loss() {
    let emulated = emulated("rsi", &["healthy-secondary"], false);
    let config = emulated.run._dir.path().join("drtui.toml");
    let (_, report, stderr) = status_json(&config.display().to_string(), "rsi");
    assert_eq!(
        report["readiness"]["recommendation"]["next"], "switchover",
        "{report:#}\n{stderr}"
    );
    let reason = report["readiness"]["recommendation"]["reason"]
        .as_str()
        .expect("reason");
    assert!(
        reason.contains("API 5XX 2.0 %") && reason.contains("a switchover loses nothing"),
        "{reason}"
    );
    let (outcome, _, records) = play_on(&emulated, "switchover", approve_all(), None);
    assert_eq!(
        outcome,
        drtui_engine::engine::Outcome::Completed,
        "{records:#?}"
    );
    let made = mutating_calls(&emulated.run.backend);
    assert!(
        made.contains(&"rds:SwitchoverGlobalCluster".to_owned())
            && !made.contains(&"rds:FailoverGlobalCluster".to_owned()),
        "{made:?}"
    );
    assert_writer_and_traffic_in_the_secondary(emulated.run);
}

#[test]
fn after_a_failover_the_old_primarys_lag_is_read_and_feeds_failback() {
    let emulated = emulated("rlag", &["healthy-secondary", "healthy-primary"], false);
    let (outcome, _, _) = play_on(&emulated, "failover", approve_all(), None);
    assert_eq!(outcome, drtui_engine::engine::Outcome::Completed);
    // As AWS does after a failover, the old primary (now the reader) publishes the lag.
    moto().boto(
        "at = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=2)\n\
         client('cloudwatch', 'us-east-1').put_metric_data(Namespace='AWS/RDS', MetricData=[{'MetricName': 'AuroraGlobalDBRPOLag', \
         'Dimensions': [{'Name': 'DBClusterIdentifier', 'Value': 'payment-primary-rlag'}], 'Timestamp': at, 'Value': 177.0, 'Unit': 'Milliseconds'}])\n",
    );
    let run = &emulated.run;
    let mut snapshot = run.pair.empty_snapshot();
    for update in run.runtime.block_on(drtui_engine::poll::poll_once(
        &run.backend,
        &SystemClock,
        Duration::from_secs(3),
    )) {
        snapshot.apply(update);
    }
    let readiness = drtui_core::readiness::assess(&snapshot, SystemClock.now(), &run.pair.policy());
    let primary_lag = snapshot
        .region(Role::Primary)
        .metrics
        .value
        .as_ref()
        .and_then(|metrics| metrics.replication_lag_ms);
    assert_eq!(primary_lag, Some(177.0));
    assert_eq!(readiness.phase, drtui_core::phase::Phase::FailedOver);
    assert_eq!(
        readiness.data_at_risk_ms,
        Some(177.0),
        "the reader now is the old primary, not the seeded secondary's 850 ms"
    );
    assert!(
        readiness.recommendation.reason.contains("177 ms"),
        "{}",
        readiness.recommendation.reason
    );
}

#[test]
fn a_skipped_state_machine_step_is_covered_by_the_direct_weights_step() {
    use drtui_core::runbook::journal::{Event, Record, StepOutcome};
    let emulated = emulated("rskip", &["healthy-secondary"], true);
    // The 2 % 5XX primary's database would allow a switchover: the failover asks for that too.
    let announce = drtui_engine::engine::Approvals {
        all: false,
        ids: ["announce".to_owned(), "confirm-primary-serving".to_owned()].into(),
    };
    let (outcome, run_id, _) = play_on(&emulated, "failover", announce, None);
    assert_eq!(
        outcome,
        drtui_engine::engine::Outcome::Blocked {
            step: "approve-promote".to_owned()
        }
    );
    // The operator skips the state machine (say it hangs), with a reason, then resumes.
    let mut journal =
        drtui_engine::journal_file::Journal::open(&emulated.state, &run_id).expect("journal");
    journal
        .append(&Record {
            at: SystemClock.now(),
            run_id: run_id.clone(),
            event: Event::StepFinished {
                step: "shift-traffic-sfn".into(),
                outcome: StepOutcome::Skipped,
                detail: "skipped by tester: the execution hangs".into(),
            },
        })
        .expect("skip");
    let resumable = drtui_engine::playback::resumable(&emulated.state, &run_id).expect("resume");
    let (outcome, _, records) = play_on(&emulated, "failover", approve_all(), Some(&resumable));
    assert_eq!(
        outcome,
        drtui_engine::engine::Outcome::Completed,
        "{records:#?}"
    );
    let made = mutating_calls(&emulated.run.backend);
    assert!(
        made.contains(&"route53:ChangeResourceRecordSets".to_owned()),
        "{made:?}"
    );
    assert!(!made.contains(&"sfn:StartExecution".to_owned()), "{made:?}");
    assert_writer_and_traffic_in_the_secondary(emulated.run);
}

/// A pair with `lock_table`, seeded with its table, as a config file; returns (dir, config).
fn locked_pair(suffix: &str) -> (tempfile::TempDir, String) {
    let moto = moto();
    let seeded = moto.seed_with(suffix, &["healthy-secondary", "healthy-primary"]);
    moto.create_lock_table(&format!("drtui-locks-{suffix}"));
    let text = pair_config(suffix, &seeded, &format!("\"{}\"", moto.url), true, "3s")
        .lines()
        .filter(|line| !line.starts_with("state_machine"))
        .map(|line| {
            if line.starts_with("alarm_prefix") {
                format!("{line}\nlock_table = \"drtui-locks-{suffix}\"")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    write_config(&text)
}

/// `drtui run switchover` on `suffix` from its own home: nothing shared with another
/// operator's process but the AWS endpoint.
fn run_from_own_home(config: &str, suffix: &str) -> std::process::Child {
    let home = tempfile::tempdir().expect("home").keep();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_drtui"));
    command
        .args(["--config", config, "--region-pair", suffix])
        .args(["run", "switchover", "--approve-all"])
        .env("HOME", &home)
        .env("DRTUI_STATE_DIR", home.join("state"))
        .env_remove("DRTUI_CONFIG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (key, value) in support::AWS_TEST_ENV {
        command.env(key, value);
    }
    command.spawn().expect("drtui")
}

/// Two operators on two machines (two homes, separate state dirs) start the same switchover
/// at once: the DynamoDB lock lets exactly one proceed; the other exits 5 naming the holder;
/// the lock is released when the holder ends.
#[test]
fn two_homes_share_one_lock_in_dynamodb() {
    let (_dir, config) = locked_pair("rlk");
    let children = [
        run_from_own_home(&config, "rlk"),
        run_from_own_home(&config, "rlk"),
    ];
    let outputs: Vec<_> = children
        .into_iter()
        .map(|child| child.wait_with_output().expect("wait"))
        .collect();
    let codes: Vec<Option<i32>> = outputs.iter().map(|output| output.status.code()).collect();
    let stderr: Vec<String> = outputs
        .iter()
        .map(|output| String::from_utf8_lossy(&output.stderr).into_owned())
        .collect();
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(5)),
        "{codes:?} {stderr:#?}"
    );
    let refused = &stderr[codes
        .iter()
        .position(|code| *code == Some(5))
        .expect("refused")];
    assert!(
        refused.contains(
            "is locked in DynamoDB table drtui-locks-rlk in us-east-2 by run switchover-"
        ),
        "{refused}"
    );
    // The lock break it prints names the config file the pair came from, and runs as printed.
    let lock_break = refused
        .split('`')
        .find(|part| part.starts_with("drtui lock break"))
        .expect("a lock break command");
    assert!(
        lock_break.ends_with(&format!("--region-pair rlk --config {config}")),
        "{lock_break}"
    );
    let words: Vec<&str> = lock_break.split_whitespace().skip(1).collect();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_drtui"));
    command
        .args(&words)
        .env_remove("DRTUI_CONFIG")
        .env(
            "DRTUI_STATE_DIR",
            tempfile::tempdir().expect("state").keep(),
        )
        .stdin(std::process::Stdio::null());
    for (key, value) in support::AWS_TEST_ENV {
        command.env(key, value);
    }
    let broke = command.output().expect("lock break");
    assert_eq!(
        broke.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&broke.stderr)
    );
    // Released by the holder when it ended: a third operator gets it (and finds nothing to do).
    let third = run_from_own_home(&config, "rlk")
        .wait_with_output()
        .expect("third");
    assert_ne!(
        third.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
}

/// moto's executions never end (its tasks do not run): the state machine that hangs. The
/// failover's state-machine step (its timeout cut to 3 s here) stops it with StopExecution,
/// sets the weights itself, and completes with no execution of its own left RUNNING.
#[test]
fn a_hung_execution_is_stopped_and_the_weights_set_directly() {
    use drtui_core::runbook::step::Body;
    let emulated = emulated("rhung", &["healthy-secondary", "healthy-primary"], true);
    let (_, mut runbook, hash) =
        drtui_engine::catalog::find_with_hash("failover").expect("runbook");
    for step in &mut runbook.steps {
        if let (true, Body::Action { timeout, .. }) =
            (step.id == "shift-traffic-sfn", &mut step.body)
        {
            *timeout = Duration::from_secs(3);
        }
    }
    let (outcome, run_id, records) = play_runbook(&emulated, &runbook, hash, approve_all(), None);
    assert_eq!(
        outcome,
        drtui_engine::engine::Outcome::Completed,
        "{records:#?}"
    );
    let made = mutating_calls(&emulated.run.backend);
    assert!(made.contains(&"sfn:StartExecution".to_owned()), "{made:?}");
    let counts = emulated.run.backend.call_counts();
    assert_eq!(counts["sfn"]["StopExecution"], 1, "{counts:?}");
    let name = format!("{run_id}-shift-traffic-sfn");
    let InProcess {
        runtime, backend, ..
    } = &emulated.run;
    match runtime.block_on(backend.fetch(Source::StateMachine)) {
        Ok(SourceData::StateMachine(Some(machine))) => {
            let execution = machine
                .executions
                .iter()
                .find(|execution| execution.name == name)
                .expect("the run's execution");
            assert_eq!(execution.status, "ABORTED", "{machine:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_writer_and_traffic_in_the_secondary(emulated.run);
}
