//! drtui's backends, the only code that talks to the world: the deterministic `demo` simulator
//! (`sim`) and AWS (`aws`, the only user of the AWS SDK), both behind the core's ports.

pub mod assets;
pub mod aws;
pub mod sim;
