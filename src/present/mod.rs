//! Text made where it is shown: `status --format text`, `runs show`, `plan`.

pub mod plan_text;
pub mod status_text;
pub mod timeline;
