//! `drtui completions SHELL`: the shell hook for dynamic completion. The hook calls drtui back
//! (`COMPLETE=SHELL drtui ...`), which answers from the same clap definition as `--help` (so
//! flags never drift) plus what exists now: pair names, runbooks, run ids.

use color_eyre::eyre::Result;

use crate::exit::Exit;

pub fn run(shell: clap_complete::Shell) -> Result<Exit> {
    use clap_complete::env::EnvCompleter;
    use clap_complete::env::{Bash, Elvish, Fish, Powershell, Zsh};
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::PowerShell => &Powershell,
        _ => {
            return Err(crate::commands::UsageError(format!("no completion for {shell}")).into());
        }
    };
    let mut script = Vec::new();
    completer.write_registration("COMPLETE", "drtui", "drtui", "drtui", &mut script)?;
    crate::output::raw(&String::from_utf8_lossy(&script));
    Ok(Exit::Ok)
}
