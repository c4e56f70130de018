//! A crowd on one shared pair (`share = true`) against the moto emulator: three `status
//! --watch` processes, one polls AWS and two read its snapshot from the lock table; the poller
//! killed, another takes over within one lease; a run's checks read AWS, never the snapshot.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed expectation is the test failing"
)]

mod support;

use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::emulated::write_config;
use support::{moto, pair_config};

/// The pair's poll interval in these tests, and the lease it gives (three polls, at least 6 s).
const LEASE: Duration = Duration::from_secs(6);
const POLLER: &str = "shared: this process polls for the crowd";

/// A seeded estate with a lock table and `share = true`; returns (dir, config, table).
fn shared_pair(suffix: &str) -> (tempfile::TempDir, String, String) {
    let moto = moto();
    let seeded = moto.seed_with(suffix, &["healthy-secondary", "healthy-primary"]);
    let table = format!("drtui-locks-{suffix}");
    moto.create_lock_table(&table);
    let text = pair_config(suffix, &seeded, &format!("\"{}\"", moto.url), true, "3s")
        .lines()
        .map(|line| {
            if line.starts_with("alarm_prefix") {
                format!("{line}\nlock_table = \"{table}\"\nshare = true")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (dir, config) = write_config(&text);
    (dir, config, table)
}

/// A drtui process from its own home (another operator), test AWS environment.
fn drtui_command(config: &str, suffix: &str, args: &[&str]) -> std::process::Command {
    let home = tempfile::tempdir().expect("home").keep();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_drtui"));
    command
        .args(["--config", config, "--region-pair", suffix])
        .args(args)
        .env("HOME", &home)
        .env("DRTUI_STATE_DIR", home.join("state"))
        .env_remove("DRTUI_CONFIG")
        .stdin(std::process::Stdio::null());
    for (key, value) in support::AWS_TEST_ENV {
        command.env(key, value);
    }
    command
}

/// `status --watch --format json` running, its lines collected as they come.
struct Watcher {
    child: std::process::Child,
    lines: Arc<Mutex<Vec<(Instant, Value)>>>,
}

impl Watcher {
    fn start(config: &str, suffix: &str) -> Self {
        let mut child = drtui_command(config, suffix, &["status", "--watch", "--format", "json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("drtui status --watch");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(report) = serde_json::from_str::<Value>(&line) {
                    collected.lock().unwrap().push((Instant::now(), report));
                }
            }
        });
        Self { child, lines }
    }

    fn last(&self) -> Option<Value> {
        self.lines
            .lock()
            .unwrap()
            .last()
            .map(|(_, report)| report.clone())
    }

    fn shared(&self) -> String {
        self.last()
            .and_then(|report| report["shared"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// When this process first said it polls, at or after `since`.
    fn polling_since(&self, since: Instant) -> Option<Instant> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .find(|(at, report)| *at >= since && report["shared"] == POLLER)
            .map(|(at, _)| *at)
    }

    /// The services every report after the first `skip` called.
    fn services_after(&self, skip: usize) -> Vec<String> {
        let lines = self.lines.lock().unwrap();
        let mut services: Vec<String> = lines
            .iter()
            .skip(skip)
            .filter_map(|(_, report)| report["api_calls"].as_object())
            .flat_map(|calls| calls.keys().cloned())
            .collect();
        services.sort();
        services.dedup();
        services
    }

    /// The services every report so far called.
    fn services(&self) -> Vec<String> {
        self.services_after(0)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let began = Instant::now();
    while !done() {
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_crowd_of_three_has_one_poller_and_a_dead_pollers_lease_is_taken_over() {
    let (_dir, config, _table) = shared_pair("shc");
    let mut crowd: Vec<Watcher> = (0..3).map(|_| Watcher::start(&config, "shc")).collect();
    wait_until(
        "every process reports, one of them as the poller",
        Duration::from_secs(30),
        || {
            crowd
                .iter()
                .all(|watcher| watcher.lines.lock().unwrap().len() >= 3)
                && crowd
                    .iter()
                    .filter(|watcher| watcher.shared() == POLLER)
                    .count()
                    == 1
                && crowd
                    .iter()
                    .filter(|watcher| watcher.shared().starts_with("shared from "))
                    .count()
                    == 2
        },
    );
    let poller = crowd
        .iter()
        .position(|watcher| watcher.shared() == POLLER)
        .expect("a poller");
    assert!(
        crowd[poller].services().contains(&"rds".to_owned()),
        "the poller reads AWS: {:?}",
        crowd[poller].last()
    );
    // Settled, the readers read only the shared item. (At start two processes can both take
    // the lease on the emulator, whose conditional writes are not atomic under concurrent
    // requests, unlike DynamoDB's; the loser finds out at its first write and becomes a
    // reader, having polled AWS once: the first reports are left out.)
    let settled = crowd
        .iter()
        .map(|watcher| watcher.lines.lock().unwrap().len())
        .max()
        .unwrap_or(0);
    wait_until("three more reports each", Duration::from_secs(20), || {
        crowd
            .iter()
            .all(|watcher| watcher.lines.lock().unwrap().len() >= settled + 3)
    });
    for (n, reader) in crowd.iter().enumerate().filter(|(n, _)| *n != poller) {
        let skip = reader.lines.lock().unwrap().len() - 3;
        assert_eq!(
            reader.services_after(skip),
            ["dynamodb"],
            "reader {n} reads only the shared item: {:?}",
            reader
                .lines
                .lock()
                .unwrap()
                .iter()
                .map(|(_, report)| report["api_calls"].clone())
                .collect::<Vec<_>>()
        );
        let report = reader.last().expect("a report");
        assert_eq!(
            report["global_cluster"]["writer_region"], "us-east-1",
            "{report}"
        );
        // (Whether every source is fresh depends on the poller's own calls under this
        // machine's load, not on sharing: the ages are the poller's, judged as on a direct
        // poll, and a stale one is said so.)
    }
    // The poller dies without a word (SIGKILL): its lease runs out, a reader takes over.
    let mut dead = crowd.remove(poller);
    dead.child.kill().expect("kill");
    let killed = Instant::now();
    wait_until(
        "another process polls",
        LEASE + Duration::from_secs(10),
        || {
            crowd
                .iter()
                .any(|watcher| watcher.polling_since(killed).is_some())
        },
    );
    let took_over = crowd
        .iter()
        .filter_map(|watcher| watcher.polling_since(killed))
        .min()
        .expect("taken over");
    // Within one lease of the last renewal, plus the poll the report line waits for.
    eprintln!("taken over {:?} after the kill", took_over - killed);
    assert!(
        took_over - killed <= LEASE + Duration::from_secs(2),
        "taken over {:?} after the kill",
        took_over - killed
    );
    let successor = crowd
        .iter()
        .find(|watcher| watcher.polling_since(killed).is_some())
        .expect("successor");
    wait_until("the successor reads AWS", Duration::from_secs(10), || {
        successor.services().contains(&"rds".to_owned())
    });
    drop(dead);
}

/// A snapshot in the table that lies (writer and traffic already in the secondary, from a
/// poller whose lease runs for ten minutes): `status` shows it as shared, but a switchover's
/// checks read AWS, find the writer still in the primary and move it.
#[test]
fn a_runs_checks_read_aws_never_the_shared_snapshot() {
    let (_dir, config, table) = shared_pair("shl");
    let watcher = Watcher::start(&config, "shl");
    wait_until("a snapshot is shared", Duration::from_secs(30), || {
        watcher.shared() == POLLER && watcher.lines.lock().unwrap().len() >= 3
    });
    drop(watcher);
    moto().boto(&format!(
        r"
import json, time, zlib
ddb = client('dynamodb', 'us-east-2')
key = {{'LockID': {{'S': 'drtui/shl/poller'}}}}
item = ddb.get_item(TableName='{table}', Key=key, ConsistentRead=True)['Item']
snapshot = json.loads(zlib.decompress(item['snapshot']['B'], -15))
now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace('+00:00', 'Z')
for update in snapshot['updates']:
    update['at'] = now
    answer = update['result'].get('Ok')
    if isinstance(answer, dict) and 'GlobalCluster' in answer:
        for member in answer['GlobalCluster']['members']:
            member['is_writer'] = member['region'] == 'us-east-2'
    if isinstance(answer, dict) and 'Dns' in answer:
        answer['Dns']['weights'] = {{'us-east-1': 0, 'us-east-2': 100}}
snapshot['poller'] = {{'host': 'liar-host', 'pid': 1, 'id': 'liar'}}
snapshot['written_at'] = now
deflate = zlib.compressobj(wbits=-15)
data = deflate.compress(json.dumps(snapshot).encode()) + deflate.flush()
ddb.put_item(TableName='{table}', Item={{'LockID': key['LockID'], 'poller_id': {{'S': 'liar'}},
    'host': {{'S': 'liar-host'}}, 'pid': {{'N': '1'}},
    'expires_at_ms': {{'N': str(int(time.time() * 1000) + 600000)}}, 'snapshot': {{'B': data}}}})
"
    ));
    let status = drtui_command(&config, "shl", &["status", "--format", "json"])
        .output()
        .expect("status");
    let report: Value = serde_json::from_slice(&status.stdout).expect("status json");
    assert!(
        report["shared"]
            .as_str()
            .is_some_and(|shared| shared.starts_with("shared from liar-host")),
        "{}",
        report["shared"]
    );
    assert_eq!(
        report["global_cluster"]["writer_region"], "us-east-2",
        "the lie, as shared"
    );
    assert_eq!(
        report["api_calls"].as_object().map(|calls| calls.len()),
        Some(1)
    );
    let run = drtui_command(&config, "shl", &["run", "switchover", "--approve-all"])
        .output()
        .expect("run");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    // The emulator ignores the identifier filter: pick the pair's global cluster.
    let writer = moto().boto_output(
        "for cluster in client('rds', 'us-east-2').describe_global_clusters()['GlobalClusters']:\n    \
         if cluster['GlobalClusterIdentifier'] == 'payment-global-shl':\n        \
         for member in cluster['GlobalClusterMembers']:\n            \
         print(member['DBClusterArn'].split(':')[3], member['IsWriter'])\n",
    );
    assert!(
        writer.contains("us-east-2 True") && writer.contains("us-east-1 False"),
        "the run moved the real writer (it read AWS, not the lie): {writer}\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}
