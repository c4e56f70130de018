//! `drtui iam policy --role ROLE`: the least-privilege policy a role needs on the pair.

use color_eyre::eyre::Result;
use drtui_core::iam::{self, PolicyRole};

use super::{UsageError, select_pair};
use crate::cli::GlobalArgs;
use crate::exit::Exit;

pub fn policy(global: &GlobalArgs, role: &str) -> Result<Exit> {
    let role: PolicyRole = role.parse().map_err(UsageError)?;
    let pair = select_pair(global)?;
    let text = serde_json::to_string_pretty(&iam::policy(&pair, role))?;
    crate::output::outln!("{text}");
    Ok(Exit::Ok)
}
