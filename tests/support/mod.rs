//! The moto emulator for tests: one server per test binary on a free 127.0.0.1 port, started
//! by `tests/moto/launcher.py`, seeded per test with its own name suffix. A missing emulator
//! fails the test loudly; it never skips.

#![allow(dead_code)]

pub mod emulated;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;

/// Environment for every drtui process pointed at the emulator: fixed test credentials, no
/// profile files, and no instance-metadata lookup (that address is not on this machine).
pub const AWS_TEST_ENV: [(&str, &str); 5] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/nonexistent/drtui-test"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/drtui-test"),
];

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has moto: `$DRTUI_PYTHON`, else the venv `./scripts/test` makes.
pub fn python() -> PathBuf {
    let python = std::env::var_os("DRTUI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join(".venv/bin/python"));
    let works = Command::new(&python)
        .args(["-c", "import moto, boto3, cbor2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        works,
        "EMULATOR MISSING: {} cannot import moto, boto3 and cbor2. Run ./scripts/test, which installs \
         moto[server]==5.2.5 into .venv, or set DRTUI_PYTHON to a Python that has them.",
        python.display()
    );
    python
}

pub struct Moto {
    pub port: u16,
    pub url: String,
    _child: Mutex<Child>,
    /// Held open: the launcher exits when this closes, i.e. when the test binary ends.
    _stdin: Mutex<ChildStdin>,
}

/// The shared emulator of this test binary, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

impl Moto {
    fn start() -> Moto {
        let mut child = Command::new(python())
            .arg(manifest_dir().join("tests/moto/launcher.py"))
            .env("DRTUI_MOTO_FAILOVER_SECONDS", "1.0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the moto launcher");
        let stdin = child.stdin.take().expect("launcher stdin");
        let stdout = child.stdout.take().expect("launcher stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the moto launcher printed no port within 60 s");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected launcher output: {line:?}"));
        Moto {
            port,
            url: format!("http://127.0.0.1:{port}"),
            _child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
        }
    }

    /// Seeds a copy of the reference estate whose names end in `suffix`; returns the
    /// generated ids (hosted_zone_id, record_name, health_checks, state_machine).
    pub fn seed(&self, suffix: &str) -> Value {
        self.seed_with(suffix, &[])
    }

    /// Runs a boto3 snippet against the emulator; `client(service, region)` is defined.
    pub fn boto(&self, script: &str) {
        self.boto_output(script);
    }

    /// Runs a boto3 snippet against the emulator and returns what it printed.
    pub fn boto_output(&self, script: &str) -> String {
        let prelude = format!(
            "import boto3, datetime\n\
             def client(service, region):\n    \
                 return boto3.client(service, region_name=region, endpoint_url={:?}, \
                 aws_access_key_id='testing', aws_secret_access_key='testing')\n",
            self.url
        );
        let output = Command::new(python())
            .args(["-c", &format!("{prelude}{script}")])
            .output()
            .expect("run python");
        assert!(
            output.status.success(),
            "boto snippet failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A lock table (partition key `LockID`, string) in us-east-2, the pairs' default
    /// `lock_region`.
    pub fn create_lock_table(&self, table: &str) {
        self.boto(&format!(
            "client('dynamodb', 'us-east-2').create_table(TableName='{table}', \
             KeySchema=[{{'AttributeName': 'LockID', 'KeyType': 'HASH'}}], \
             AttributeDefinitions=[{{'AttributeName': 'LockID', 'AttributeType': 'S'}}], \
             BillingMode='PAY_PER_REQUEST')\n"
        ));
    }

    /// `seed` with extra options of seed.py (e.g. `healthy-secondary`).
    pub fn seed_with(&self, suffix: &str, options: &[&str]) -> Value {
        let output = Command::new(python())
            .arg(manifest_dir().join("tests/moto/seed.py"))
            .args([&self.url, suffix])
            .args(options)
            .output()
            .expect("run seed.py");
        assert!(
            output.status.success(),
            "seeding failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("seed.py prints JSON")
    }
}

/// A drtui config for the seeded estate `suffix`. `endpoint` is the TOML value of
/// `endpoint_url` (a quoted URL or an inline table); `health_checks` adds the configured ids.
pub fn pair_config(
    suffix: &str,
    seeded: &Value,
    endpoint: &str,
    health_checks: bool,
    call_timeout: &str,
) -> String {
    let mut text = format!(
        r#"[pairs.{suffix}]
primary = "us-east-1"
secondary = "us-east-2"
endpoint_url = {endpoint}
global_cluster = "payment-global-{suffix}"
hosted_zone_id = "{zone}"
record_name = "{record}"
state_machine = "{machine}"
alarm_prefix = "PaymentDR-{suffix}"
poll_interval = "1s"
parameter_path = "/payment-dr/{suffix}/"
call_timeout = "{call_timeout}"
connect_timeout = "1s"

[pairs.{suffix}.clusters]
us-east-1 = "payment-primary-{suffix}"
us-east-2 = "payment-secondary-{suffix}"

[pairs.{suffix}.set_identifiers]
us-east-1 = "primary"
us-east-2 = "secondary"

[pairs.{suffix}.api_names]
us-east-1 = "payment-api-primary-{suffix}"
us-east-2 = "payment-api-secondary-{suffix}"

[pairs.{suffix}.lambda_functions]
us-east-1 = ["payment-validation-primary-{suffix}", "transaction-processing-primary-{suffix}", "notification-primary-{suffix}"]
us-east-2 = ["payment-validation-secondary-{suffix}", "transaction-processing-secondary-{suffix}", "notification-secondary-{suffix}"]

[pairs.{suffix}.stacks]
us-east-1 = ["TapStack{suffix}-primary"]
us-east-2 = ["TapStack{suffix}-secondary"]
"#,
        zone = seeded["hosted_zone_id"].as_str().expect("zone"),
        record = seeded["record_name"].as_str().expect("record"),
        machine = seeded["state_machine"].as_str().expect("state machine"),
    );
    if health_checks {
        text.push_str(&format!(
            "\n[pairs.{suffix}.health_checks]\nus-east-1 = \"{}\"\nus-east-2 = \"{}\"\n",
            seeded["health_checks"]["us-east-1"].as_str().expect("hc"),
            seeded["health_checks"]["us-east-2"].as_str().expect("hc"),
        ));
    }
    text
}

/// Runs the drtui binary with the test AWS environment.
pub fn drtui(args: &[&str]) -> std::process::Output {
    drtui_as(args, AWS_TEST_ENV[0].1, AWS_TEST_ENV[1].1)
}

/// Runs the drtui binary with the test AWS environment, signing with these access keys (an
/// IAM user of the emulator).
pub fn drtui_as(args: &[&str], key_id: &str, secret: &str) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drtui"));
    command.args(args).stdin(Stdio::null());
    for key in [
        "DRTUI_CONFIG",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        command.env_remove(key);
    }
    for (key, value) in AWS_TEST_ENV {
        command.env(key, value);
    }
    command
        .env("AWS_ACCESS_KEY_ID", key_id)
        .env("AWS_SECRET_ACCESS_KEY", secret);
    command.env(
        "DRTUI_STATE_DIR",
        std::env::temp_dir().join(format!("drtui-aws-tests-{}", std::process::id())),
    );
    command.output().expect("drtui runs")
}

/// A loopback port with nothing listening (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A loopback listener that accepts connections and never answers: a hung region.
pub fn silent_listener() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}
