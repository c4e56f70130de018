//! drtui's core: the region pair, what was observed and what it means (readiness), runbooks
//! and their journal, and the ports the engine and backends meet at. Pure and synchronous.
//!
//! No tokio, ratatui, crossterm or AWS SDK here, and no file system or environment: the
//! compiler keeps the rules apart from I/O. Text for people is made where it is shown (the
//! binary, the TUI); here values keep their kind.
//!
//! The public face, by purpose (what is not listed is `pub(crate)`):
//! - the estate: [`config`] (the pair), [`model`] (what was observed, with its age and error),
//!   [`changes`] (what moved between polls), [`fault`] (the simulator's faults);
//! - what it means: [`readiness`] (checks, verdict, data at risk), [`phase`], [`settle`],
//!   [`cost`], [`report`] (the status JSON contract);
//! - runbooks: [`runbook`] (file format, validation into typed steps, plan, evaluation,
//!   journal);
//! - the seams: [`ports`] (backends, the typed [`ports::Mutation`] and [`ports::BackendError`]),
//!   [`calls`] (every AWS operation, declared once), [`clock`];
//! - small pure helpers: [`arn`], [`text`], [`wire`], [`pair_update`].

pub mod arn;
pub mod calls;
pub mod changes;
pub mod clock;
pub mod commands;
pub mod config;
pub mod cost;
pub mod fault;
mod fitness;
pub mod iam;
mod limits;
pub mod model;
mod mutation;
pub mod observability;
pub mod pair_update;
pub mod parity;
pub mod permissions;
pub mod phase;
pub mod ports;
pub mod readiness;
pub mod report;
pub mod runbook;
pub mod settle;
pub mod share;
pub mod stores;
pub mod switchover;
pub mod text;
pub mod wire;
