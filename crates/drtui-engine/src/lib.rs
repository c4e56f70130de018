//! drtui's engine: the async half. Pollers feed snapshots; the runbook engine and playback run
//! steps against the ports, with the per-pair lock and the journal files on disk.

pub mod catalog;
pub mod changes_file;
pub mod clock;
pub mod config_file;
pub mod engine;
pub mod files;
pub mod journal_file;
pub mod lock;
pub mod playback;
pub mod poll;
pub mod preflight;
pub mod session;
pub mod share;
