//! What the `drtui` binary shows outside the TUI, as text: the status table, a run's timeline
//! and the plan. Pure functions of the core's values, in the package that shows them (and
//! reachable from its integration tests).

pub mod present;
