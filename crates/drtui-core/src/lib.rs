//! drtui's core: the region pair, what was observed and what it means (readiness), runbooks
//! and their journal, and the ports the engine and backends meet at. Pure and synchronous.
//!
//! No tokio, ratatui, crossterm or AWS SDK here: the compiler keeps the rules apart from I/O.

pub mod arn;
pub mod calls;
pub mod changes;
pub mod clock;
pub mod config;
pub mod cost;
pub mod fault;
pub mod limits;
pub mod model;
pub mod mutation;
pub mod pair_update;
pub mod phase;
pub mod ports;
pub mod readiness;
pub mod report;
pub mod runbook;
pub mod settle;
pub mod text;
pub mod wire;
