//! The seeded emulator estate as the tests reach it: a config file, `status --format json`,
//! and an in-process AWS backend with its runtime.

use std::sync::Arc;

use drtui_backend::aws::{AwsBackend, ClientPool, Clients, Overrides};
use drtui_engine::clock::SystemClock;
use serde_json::Value;

use super::{drtui, moto, pair_config};

pub fn write_config(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("drtui.toml");
    std::fs::write(&path, text).expect("write config");
    (dir, path.display().to_string())
}

pub fn status_json(config: &str, pair: &str) -> (Option<i32>, Value, String) {
    let output = drtui(&[
        "status",
        "--config",
        config,
        "--region-pair",
        pair,
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}; stdout {}; stderr {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output.status.code(), report, stderr)
}

/// An in-process AWS backend on the seeded estate `suffix`, with its runtime.
pub struct InProcess {
    pub _dir: tempfile::TempDir,
    pub pair: drtui_core::config::RegionPair,
    pub runtime: tokio::runtime::Runtime,
    pub backend: AwsBackend,
}

pub fn in_process(suffix: &str) -> InProcess {
    let moto = moto();
    let seeded = moto.seed(suffix);
    let (dir, config) = write_config(&pair_config(
        suffix,
        &seeded,
        &format!("\"{}\"", moto.url),
        true,
        "3s",
    ));
    let catalog = drtui_engine::config_file::load_catalog(Some(std::path::Path::new(&config)))
        .expect("config");
    let pair = catalog.get(suffix).expect("pair").clone();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let overrides = Overrides {
        static_credentials: Some(("testing".into(), "testing".into())),
        ..Overrides::default()
    };
    let clients = runtime.block_on(Clients::load(&pair, &overrides, &ClientPool::default()));
    let backend = AwsBackend::new(&pair, clients, Arc::new(SystemClock));
    InProcess {
        _dir: dir,
        pair,
        runtime,
        backend,
    }
}
