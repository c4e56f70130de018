//! Runbooks: the YAML format (`spec`), its validation (`validate`), the built-in catalogue
//! (`catalog`) and the plan of API calls a run would make (`plan`).

pub mod catalog;
pub mod engine;
pub mod journal;
pub mod lock;
pub mod plan;
pub mod playback;
pub mod spec;
pub mod timeline;
pub mod validate;
