//! drtui: a terminal dashboard and runbook driver for two-region AWS disaster recovery.
//!
//! Data flows one way: backend -> poll -> model -> (readiness, tui render, status output).

pub mod assets;
pub mod backend;
pub mod cli;
pub mod clock;
pub mod config;
#[doc(hidden)]
pub mod fixtures;
pub mod model;
pub mod poll;
pub mod readiness;
pub mod report;
pub mod runbook;
pub mod text;
pub mod tui;
