//! Runbooks: the YAML format (`spec`), its validation (`validate`), the built-in catalogue
//! (`catalog`) and the plan of API calls a run would make (`plan`).

pub mod builtin;
pub mod deploy;
pub mod evaluate;
pub mod gate;
pub mod journal;
pub mod plan;
pub mod spec;
pub mod step;
mod typing;
pub mod validate;
